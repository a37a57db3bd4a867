//! Compressed parts: zstd streams written through a SHA-256 counter, so a part's checksum and
//! sizes come from the one pass that writes it. Blocking I/O: call from `spawn_blocking`.

use super::progress::Progress;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

/// zstd level: 3 is zstd's default, about as fast as gzip -1 and smaller than gzip -9.
pub const LEVEL: i32 = 3;
const BUF: usize = 256 * 1024;

/// What writing a part produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub size: u64,
    pub raw_size: u64,
    pub sha256: String,
}

/// Counts and hashes what passes through to the file.
pub struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter { inner, hasher: Sha256::new(), written: 0 }
    }

    pub fn finish(self) -> (W, u64, String) {
        (self.inner, self.written, hex::encode(self.hasher.finalize()))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A zstd part being written to `path`: write the raw bytes into it, then [`PartWriter::finish`].
pub struct PartWriter {
    encoder: zstd::Encoder<'static, HashingWriter<BufWriter<File>>>,
    raw: u64,
}

impl PartWriter {
    pub fn create(path: &Path) -> io::Result<Self> {
        let file = File::create(path)?;
        let mut encoder = zstd::Encoder::new(HashingWriter::new(BufWriter::with_capacity(BUF, file)), LEVEL)?;
        // Two cores: compress on a second thread while this one reads.
        let _ = encoder.multithread(1);
        Ok(PartWriter { encoder, raw: 0 })
    }

    /// Ends the stream, flushes and fsyncs the file.
    pub fn finish(self) -> io::Result<Written> {
        let hashing = self.encoder.finish()?;
        let (buf, size, sha256) = hashing.finish();
        let file = buf.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(Written { size, raw_size: self.raw, sha256 })
    }
}

impl Write for PartWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.encoder.write(buf)?;
        self.raw += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.encoder.flush()
    }
}

/// Compresses the file `src` into the part `dst`, reporting bytes read to `progress`.
pub fn compress_file(src: &Path, dst: &Path, progress: &dyn Progress) -> io::Result<Written> {
    let mut input = BufReader::with_capacity(BUF, File::open(src)?);
    let mut out = PartWriter::create(dst)?;
    let mut buf = vec![0u8; BUF];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n])?;
        progress.advance(n as u64);
    }
    out.finish()
}

/// Decompresses the part `src` into the file `dst` (fsynced), reporting compressed bytes read.
pub fn decompress_file(src: &Path, dst: &Path, progress: &dyn Progress) -> io::Result<u64> {
    let counted = CountingReader { inner: File::open(src)?, progress };
    let mut decoder = zstd::Decoder::with_buffer(BufReader::with_capacity(BUF, counted))?;
    let mut out = BufWriter::with_capacity(BUF, File::create(dst)?);
    let n = io::copy(&mut decoder, &mut out)?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(n)
}

/// A reader of a part's decompressed bytes.
pub fn open_part(src: &Path) -> io::Result<impl Read> {
    zstd::Decoder::new(File::open(src)?)
}

struct CountingReader<'a, R> {
    inner: R,
    progress: &'a dyn Progress,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
}

/// SHA-256 (hex) of a file, reporting bytes read.
pub fn sha256_file(path: &Path, progress: &dyn Progress) -> io::Result<String> {
    let mut input = BufReader::with_capacity(BUF, File::open(path)?);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; BUF];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        progress.advance(n as u64);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Makes a rename or a new file in `dir` durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::progress::Silent;

    #[test]
    fn round_trip_with_checksum_of_the_stored_bytes() {
        let dir = std::env::temp_dir().join(format!("aglis-archive-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let raw: Vec<u8> = (0..200_000u32).flat_map(|i| format!("pelanggan {i} Karawang\n").into_bytes()).collect();
        std::fs::write(dir.join("raw"), &raw).expect("write");
        let w = compress_file(&dir.join("raw"), &dir.join("raw.zst"), &Silent).expect("compress");
        assert_eq!(w.raw_size, raw.len() as u64);
        assert!(w.size < w.raw_size / 5, "text compresses: {} of {}", w.size, w.raw_size);
        assert_eq!(std::fs::metadata(dir.join("raw.zst")).expect("meta").len(), w.size);
        assert_eq!(sha256_file(&dir.join("raw.zst"), &Silent).expect("sha"), w.sha256);
        decompress_file(&dir.join("raw.zst"), &dir.join("back"), &Silent).expect("decompress");
        assert_eq!(std::fs::read(dir.join("back")).expect("read"), raw);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

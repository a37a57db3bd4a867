//! Ticket attachments: what a file is for (its kind), what it is (read from its first bytes, never
//! from the name or the type the client claims), how large it may be, and who may remove it.

use crate::permission::{Permission, Role};

crate::str_enum! { "attachment kind",
    /// What a file shows. The last three are the completion photos an installation needs.
    pub enum AttachmentKind {
        /// The situation found on arrival.
        Before = "before",
        During = "during",
        /// The finished work.
        After = "after",
        /// A form, a signed letter, a quote.
        Document = "document",
        /// The OTDR trace of the line.
        Otdr = "otdr",
        /// The power meter's reading at the customer.
        Attenuation = "attenuation",
        /// The modem's label with its serial number.
        ModemSn = "modem_sn",
    }
}

impl AttachmentKind {
    /// One of the photos a resolve may require.
    pub fn is_completion_photo(self) -> bool {
        matches!(self, AttachmentKind::Otdr | AttachmentKind::Attenuation | AttachmentKind::ModemSn)
    }

    /// Kinds a customer may add to their own ticket (the rest is the technician's evidence).
    pub fn customer_may_add(self) -> bool {
        matches!(self, AttachmentKind::Before | AttachmentKind::Document)
    }
}

crate::str_enum! { "file type",
    /// The file types accepted, as their media type.
    pub enum FileType {
        Jpeg = "image/jpeg",
        Png = "image/png",
        Gif = "image/gif",
        Webp = "image/webp",
        Pdf = "application/pdf",
    }
}

impl FileType {
    /// The type the file's first bytes (its "magic number") show, if it is one we take.
    pub fn sniff(head: &[u8]) -> Option<FileType> {
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileType::Jpeg)
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileType::Png)
        } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
            Some(FileType::Gif)
        } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
            Some(FileType::Webp)
        } else if head.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else {
            None
        }
    }

    pub fn is_image(self) -> bool {
        self != FileType::Pdf
    }

    /// The extension files of this type are stored and downloaded with.
    pub fn extension(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
            FileType::Gif => "gif",
            FileType::Webp => "webp",
            FileType::Pdf => "pdf",
        }
    }
}

/// Largest file accepted: 5 MiB (spec: completion photos ≤ 5 MB).
pub const MAX_BYTES: u64 = 5 * 1024 * 1024;

/// Why a file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {} KB; at most {} MB ({} KB) is accepted — take the photo at a lower resolution or compress it", size.div_ceil(1024), MAX_BYTES / 1024 / 1024, MAX_BYTES / 1024)]
    TooLarge { size: u64 },
    #[error("only JPEG, PNG, GIF, WebP photos and PDF documents are accepted; this file is none of them")]
    UnknownType,
    #[error("a {kind} attachment must be a photo (JPEG, PNG, GIF or WebP), not a PDF")]
    NotAPhoto { kind: AttachmentKind },
}

/// Checks a file of `size` bytes starting with `head`, meant as `kind`: its type, or why not.
pub fn check(kind: AttachmentKind, size: u64, head: &[u8]) -> Result<FileType, Refused> {
    if size == 0 {
        return Err(Refused::Empty);
    }
    if size > MAX_BYTES {
        return Err(Refused::TooLarge { size });
    }
    let t = FileType::sniff(head).ok_or(Refused::UnknownType)?;
    if !t.is_image() && kind != AttachmentKind::Document {
        return Err(Refused::NotAPhoto { kind });
    }
    Ok(t)
}

/// The name a client gave, made safe to show and to put in a download header: the last path
/// component, without control characters or quotes, at most 100 characters, with the extension
/// of the type actually found.
pub fn display_name(raw: &str, t: FileType) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | ';'))
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_owned();
    let stem = match cleaned.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_owned(),
        _ => cleaned,
    };
    let stem: String = stem.chars().take(90).collect();
    let stem = if stem.trim().is_empty() { "file".to_owned() } else { stem };
    format!("{stem}.{}", t.extension())
}

/// May someone of `role` (on the ticket's team or not) add a file of `kind` to a ticket they see?
/// Staff who edit tickets may; a technician only on their own team's tickets; a customer the
/// photos of the problem and documents (the completion photos are the technician's evidence).
pub fn may_add(role: Role, on_team: bool, kind: AttachmentKind) -> bool {
    match role {
        Role::Customer => kind.customer_may_add(),
        Role::Technician => on_team,
        r => r.can(Permission::TicketsEdit),
    }
}

/// May `role` remove an attachment? Admins and supervisors always; the uploader while the ticket
/// is still worked (once resolved, its photos are the record of the work).
pub fn may_delete(role: Role, is_uploader: bool, ticket_active: bool) -> bool {
    matches!(role, Role::Admin | Role::Supervisor) || (is_uploader && ticket_active)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(FileType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some(FileType::Jpeg));
        assert_eq!(FileType::sniff(PNG), Some(FileType::Png));
        assert_eq!(FileType::sniff(b"GIF89a\x01\0"), Some(FileType::Gif));
        assert_eq!(FileType::sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some(FileType::Webp));
        assert_eq!(FileType::sniff(b"%PDF-1.7\n"), Some(FileType::Pdf));
        assert_eq!(FileType::sniff(b"MZ\x90\0\x03"), None, "a Windows program");
        assert_eq!(FileType::sniff(b"hello, I am a PNG"), None);
        assert_eq!(FileType::sniff(b"RIFF\x24\0\0\0WAVEfmt "), None, "RIFF but not WebP");
        assert_eq!(FileType::sniff(b""), None);
    }

    #[test]
    fn size_and_kind_are_checked() {
        let k = AttachmentKind::Otdr;
        assert_eq!(check(k, PNG.len() as u64, PNG), Ok(FileType::Png));
        assert_eq!(check(k, MAX_BYTES, PNG), Ok(FileType::Png));
        assert_eq!(check(k, MAX_BYTES + 1, PNG), Err(Refused::TooLarge { size: MAX_BYTES + 1 }));
        assert_eq!(check(k, 0, b""), Err(Refused::Empty));
        assert_eq!(check(k, 5, b"MZ\x90\0\x03"), Err(Refused::UnknownType));
        assert_eq!(check(k, 9, b"%PDF-1.7\n"), Err(Refused::NotAPhoto { kind: k }));
        assert_eq!(check(AttachmentKind::Document, 9, b"%PDF-1.7\n"), Ok(FileType::Pdf));
        assert!(check(k, MAX_BYTES + 1, PNG).expect_err("large").to_string().contains("5 MB"));
    }

    #[test]
    fn names_lose_their_paths_and_take_the_real_extension() {
        assert_eq!(display_name("../../etc/passwd", FileType::Png), "passwd.png");
        assert_eq!(display_name("C:\\Users\\agus\\IMG_0012.JPG", FileType::Jpeg), "IMG_0012.jpg");
        assert_eq!(display_name("foto \"redaman\";.exe", FileType::Png), "foto redaman.png");
        assert_eq!(display_name("", FileType::Pdf), "file.pdf");
        assert_eq!(display_name("..", FileType::Gif), "file.gif");
        assert_eq!(display_name(".htaccess", FileType::Png), "htaccess.png");
        assert_eq!(display_name("a\r\nSet-Cookie: x", FileType::Webp), "aSet-Cookie: x.webp");
        assert_eq!(display_name(&"x".repeat(300), FileType::Png).chars().count(), 94);
    }

    #[test]
    fn who_may_remove() {
        assert!(may_delete(Role::Supervisor, false, false));
        assert!(may_delete(Role::Admin, false, true));
        assert!(may_delete(Role::Technician, true, true));
        assert!(!may_delete(Role::Technician, true, false), "not once the work is done");
        assert!(!may_delete(Role::Technician, false, true));
        assert!(!may_delete(Role::CustomerService, false, true));
        assert!(may_delete(Role::Customer, true, true));
    }

    #[test]
    fn who_may_add() {
        assert!(may_add(Role::Technician, true, AttachmentKind::Otdr));
        assert!(!may_add(Role::Technician, false, AttachmentKind::Before), "not on someone else's ticket");
        assert!(may_add(Role::Supervisor, false, AttachmentKind::ModemSn));
        assert!(may_add(Role::Customer, false, AttachmentKind::Before));
        assert!(!may_add(Role::Customer, false, AttachmentKind::Otdr));
        assert!(may_add(Role::CustomerService, false, AttachmentKind::Document));
    }

    #[test]
    fn completion_photos_and_customer_kinds() {
        let photos: Vec<_> = AttachmentKind::ALL.iter().filter(|k| k.is_completion_photo()).collect();
        assert_eq!(photos.len(), 3);
        assert!(AttachmentKind::Before.customer_may_add() && !AttachmentKind::Otdr.customer_may_add());
        assert_eq!("modem_sn".parse::<AttachmentKind>(), Ok(AttachmentKind::ModemSn));
    }
}

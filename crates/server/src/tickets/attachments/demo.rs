//! Demo comments and photos: a few Indonesian comments on the demo tickets, and small photos made
//! here (valid PNGs drawn in code) on the installation being worked and on the finished tickets,
//! so the ticket page shows its files, its comments and the photos an installation still lacks.

use crate::state::AppState;
use aglis_core::attachment::{AttachmentKind, FileType};
use aglis_core::ticket::{TicketStatus, TicketType};
use aglis_db::repo::ticket_attachments::{self as repo, NewAttachment};
use aglis_db::repo::tickets::{self, Ticket, TicketQuery};
use aglis_db::repo::{technicians, users};
use axum::body::Bytes;
use chrono::Duration;

/// Adds the demo comments and photos to the demo tickets (call after the tickets are seeded).
pub async fn seed_demo(state: &AppState) -> anyhow::Result<()> {
    let q = TicketQuery { page: 1, per_page: 100, ..TicketQuery::default() };
    let (all, _, _) = tickets::list(&state.db, &q).await?;
    let cs = users::find_credentials(&state.db, "cs").await?.map(|(u, _)| u.id);
    let spv = users::find_credentials(&state.db, "supervisor").await?.map(|(u, _)| u.id);
    for t in &all {
        let tech = match t.lead_technician_id {
            Some(id) => technicians::get(&state.db, id).await?.and_then(|x| x.user_id),
            None => None,
        };
        // After the ticket's last recorded step, so the history reads in order.
        let base = tickets::events(&state.db, t.id).await?.first().map_or(t.created_at, |e| e.at);
        let at = |minutes: i64| base + Duration::minutes(minutes);
        match (t.status, t.ticket_type) {
            (TicketStatus::Open, _) => {
                comment(state, t, cs, "Pelanggan sudah dihubungi lewat WhatsApp, menunggu teknisi tersedia.", at(12))
                    .await?;
            }
            (TicketStatus::InProgress, TicketType::Installation) => {
                comment(state, t, tech, "Sudah di lokasi. Tarik kabel drop 120 m dari ODP, tiang depan rumah.", at(5))
                    .await?;
                photo(state, t, tech, AttachmentKind::Before, "rumah_pelanggan.png", at(8)).await?;
                photo(state, t, tech, AttachmentKind::Otdr, "otdr_trace.png", at(20)).await?;
                photo(state, t, tech, AttachmentKind::Attenuation, "redaman_-19_6dBm.png", at(22)).await?;
                comment(state, t, tech, "Redaman -19,6 dBm. Tinggal foto SN modem setelah ONT terpasang.", at(25))
                    .await?;
            }
            (TicketStatus::PendingParts, _) => {
                comment(
                    state,
                    t,
                    spv,
                    "Kabel drop 150 m sudah diminta ke gudang Karawang, estimasi besok pagi.",
                    at(15),
                )
                .await?;
            }
            (TicketStatus::Resolved | TicketStatus::Closed, TicketType::Installation) => {
                photo(state, t, tech, AttachmentKind::Otdr, "otdr_trace.png", at(2)).await?;
                photo(state, t, tech, AttachmentKind::Attenuation, "redaman_-18_9dBm.png", at(3)).await?;
                photo(state, t, tech, AttachmentKind::ModemSn, "sn_modem_ZTEG.png", at(4)).await?;
                comment(state, t, tech, "ONT aktif, internet dan WiFi sudah dicoba bersama pelanggan.", at(6)).await?;
            }
            (TicketStatus::Resolved | TicketStatus::Closed, _) => {
                photo(state, t, tech, AttachmentKind::Before, "kondisi_awal.png", at(2)).await?;
                photo(state, t, tech, AttachmentKind::After, "hasil_perbaikan.png", at(3)).await?;
                comment(state, t, tech, "Pekerjaan selesai, pelanggan sudah cek koneksi dan puas.", at(5)).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

async fn comment(
    state: &AppState,
    t: &Ticket,
    actor: Option<i64>,
    body: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let at = at.min(state.now());
    tickets::add_event(&state.db, t.id, "comment", None, body, actor, at).await?;
    if actor.is_some() {
        aglis_db::repo::tickets::mark_first_response(&state.db, t.id, at).await?;
    }
    Ok(())
}

async fn photo(
    state: &AppState,
    t: &Ticket,
    actor: Option<i64>,
    kind: AttachmentKind,
    name: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let at = at.min(state.now());
    let png = picture(kind, t.id);
    let key = format!("tickets/{}/{}.png", t.id, uuid::Uuid::new_v4().simple());
    let size = i64::try_from(png.len())?;
    state.storage.put(&key, Bytes::from(png)).await?;
    let new = NewAttachment {
        ticket_id: t.id,
        object_key: key,
        filename: name.to_owned(),
        size,
        file_type: FileType::Png,
        kind,
        uploaded_by: actor,
    };
    repo::insert(&state.db, new, at).await?;
    tickets::add_event(&state.db, t.id, "attachment", None, &format!("{kind}: {name}"), actor, at).await?;
    Ok(())
}

/// A 160 × 120 picture for `kind`: an OTDR-like falling trace, a power meter's display, or a
/// coloured scene (tinted by the ticket, so photos differ).
fn picture(kind: AttachmentKind, seed: i64) -> Vec<u8> {
    const W: usize = 160;
    const H: usize = 120;
    let tint = u8::try_from(seed.rem_euclid(5) * 30).unwrap_or(0);
    let mut px = vec![[0u8; 3]; W * H];
    for y in 0..H {
        for x in 0..W {
            let (xf, yf) = (x as f64, y as f64);
            px[y * W + x] = match kind {
                AttachmentKind::Otdr => {
                    // Dark screen, a grid, and a trace falling with distance, with one splice step.
                    let trace = 20.0 + xf * 0.45 + if x > 90 { 12.0 } else { 0.0 };
                    if (yf - trace).abs() < 1.5 {
                        [250, 220, 40]
                    } else if x % 20 == 0 || y % 20 == 0 {
                        [40, 60, 40]
                    } else {
                        [10, 20, 10]
                    }
                }
                AttachmentKind::Attenuation => {
                    // A grey meter with a green display.
                    let display = (20..140).contains(&x) && (25..70).contains(&y);
                    let digit = display && ((x / 12) % 2 == 0) && ((35..60).contains(&y)) && (x % 12 < 8);
                    if digit {
                        [20, 60, 20]
                    } else if display {
                        [150, 210, 140]
                    } else {
                        [110, 115, 120]
                    }
                }
                AttachmentKind::ModemSn => {
                    // A white label with a barcode on a black modem.
                    let label = (15..145).contains(&x) && (20..100).contains(&y);
                    let bars = (25..135).contains(&x) && (35..75).contains(&y) && (x * 7 % 11) < 5;
                    if bars {
                        [15, 15, 15]
                    } else if label {
                        [245, 245, 240]
                    } else {
                        [30, 30, 35]
                    }
                }
                _ => {
                    // Sky, a wall, and a white ONT box.
                    let box_ = (60..100).contains(&x) && (50..75).contains(&y);
                    if box_ {
                        [240, 240, 235]
                    } else if y < 40 {
                        [120, 170u8.saturating_add(tint / 3), 230]
                    } else {
                        [180u8.saturating_sub(tint / 2), 140, 100u8.saturating_add(tint / 2)]
                    }
                }
            };
        }
    }
    png(W, H, &px)
}

/// An 8-bit RGB PNG, its pixel data in stored (uncompressed) deflate blocks.
fn png(w: usize, h: usize, px: &[[u8; 3]]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(h * (1 + 3 * w));
    for row in px.chunks(w) {
        raw.push(0); // filter: none
        for p in row {
            raw.extend_from_slice(p);
        }
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(block);
    }
    z.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&u32::try_from(w).unwrap_or(1).to_be_bytes());
    ihdr.extend_from_slice(&u32::try_from(h).unwrap_or(1).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for x in bytes {
        a = (a + u32::from(*x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn pictures_are_pngs_under_the_limit() {
        for k in AttachmentKind::ALL {
            let p = picture(*k, 3);
            assert_eq!(FileType::sniff(&p), Some(FileType::Png));
            assert!((p.len() as u64) < aglis_core::attachment::MAX_BYTES);
        }
    }
}

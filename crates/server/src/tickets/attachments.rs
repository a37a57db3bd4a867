//! A ticket's photos and documents.
//!
//! Files go to the object store ([`crate::storage`]) under a key made of the ticket id and a
//! random UUID, never the client's name; the type is read from the file's first bytes. The object
//! is written before its row, and removed again when the row cannot be written. Whoever may see a
//! ticket sees its files (a customer only their own; anything else is a 404, as for the ticket
//! itself).

#[cfg(feature = "demo")]
mod demo;
mod pages;

use crate::auth::extract::CurrentUser;
use crate::auth::session::Authenticated;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::IdPath;
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use crate::tickets::service;
use aglis_core::attachment::{self as rules, AttachmentKind, Refused};
use aglis_core::permission::Role;
use aglis_core::ticket_completion;
use aglis_db::repo::ticket_attachments::{self as repo, Attachment, NewAttachment};
use aglis_db::repo::tickets::{self, Ticket};
use aglis_db::{DbError, TransactionTrait};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Multipart, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[cfg(feature = "demo")]
pub use demo::seed_demo;

/// Largest upload request read (and drained, so an oversized file still gets its 413 answer
/// rather than a reset connection): the CSRF check buffers page uploads up to the same size.
pub const UPLOAD_BODY_LIMIT: usize = crate::auth::csrf::MAX_UPLOAD_BYTES;

/// API routes.
pub fn api_router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload, list))
        .routes(routes!(download, remove))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
}

/// Page routes.
pub fn router() -> axum::Router<AppState> {
    pages::router()
}

/// A file as received.
pub struct Upload {
    pub kind: String,
    pub filename: String,
    pub bytes: Bytes,
    /// Its full size, counted even past the limit (then `bytes` holds only the start).
    pub size: u64,
}

/// Reads the fields `kind` and `file` of a multipart upload. A file over the limit is read to
/// its end (up to the request limit) and answered 413, so the client sees the answer.
pub async fn read_upload(multipart: Result<Multipart, MultipartRejection>) -> AppResult<Upload> {
    let mut multipart = multipart.map_err(|e| {
        AppError::UnsupportedMediaType(format!(
            "send the file as multipart/form-data with the fields `kind` and `file` ({})",
            e.body_text()
        ))
    })?;
    let broken = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(format!(
                "the upload is larger than {} MB; a file may be at most {} MB",
                UPLOAD_BODY_LIMIT / 1024 / 1024,
                rules::MAX_BYTES / 1024 / 1024
            ))
        } else {
            AppError::BadRequest(format!("the upload could not be read: {}", e.body_text()))
        }
    };
    let mut up = Upload { kind: String::new(), filename: String::new(), bytes: Bytes::new(), size: 0 };
    let mut seen_file = false;
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        match field.name() {
            Some("file") if !seen_file => {
                seen_file = true;
                up.filename = field.file_name().unwrap_or_default().to_owned();
                let mut kept = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(broken)? {
                    up.size += chunk.len() as u64;
                    if up.size <= rules::MAX_BYTES {
                        kept.extend_from_slice(&chunk);
                    }
                }
                up.bytes = Bytes::from(kept);
            }
            Some("kind") => {
                let text = field.text().await.map_err(broken)?;
                up.kind = text.trim().chars().take(30).collect();
            }
            // Other fields (the CSRF token, a second file) are read past.
            _ => while field.chunk().await.map_err(broken)?.is_some() {},
        }
    }
    if !seen_file {
        return Err(AppError::field("file", "choose a file to upload"));
    }
    Ok(up)
}

fn refused(e: Refused) -> AppError {
    match e {
        Refused::Empty => AppError::field("file", e.to_string()),
        Refused::TooLarge { .. } => AppError::PayloadTooLarge(e.to_string()),
        Refused::UnknownType | Refused::NotAPhoto { .. } => AppError::UnsupportedMediaType(e.to_string()),
    }
}

fn storage_down(e: crate::storage::StorageError) -> AppError {
    tracing::error!(error = ?e, "file storage failed");
    AppError::Unavailable("the file store is not reachable just now; try again in a minute".into())
}

/// Stores `up` on ticket `id` as `auth`: 404 for a ticket they may not see, 403 when their role
/// may not add this kind, 413 over 5 MB, 415 for a file that is not a photo or PDF.
pub async fn add(state: &AppState, auth: &Authenticated, id: i64, up: Upload) -> AppResult<Attachment> {
    let t = service::visible(&state.db, auth, id).await?;
    let kind: AttachmentKind = up.kind.parse().map_err(|_| {
        let kinds: Vec<&str> = AttachmentKind::ALL.iter().map(|k| k.as_str()).collect();
        AppError::field("kind", format!("say what the file shows: one of {}", kinds.join(", ")))
    })?;
    let who = service::actor(&state.db, auth, &t).await?;
    if !rules::may_add(auth.user.role, who.on_team, kind) {
        return Err(AppError::Forbidden(match auth.user.role {
            Role::Customer => "you may add photos of the problem (before) and documents".into(),
            Role::Technician => "only the ticket's team adds files to it".into(),
            r => format!("your role ({r}) may not add files to tickets"),
        }));
    }
    let file_type = rules::check(kind, up.size, &up.bytes).map_err(refused)?;
    if repo::count(&state.db, t.id).await? >= repo::MAX_PER_TICKET {
        return Err(AppError::Conflict {
            detail: format!("a ticket keeps at most {} files; remove one first", repo::MAX_PER_TICKET),
            fields: FieldErrors::new(),
        });
    }
    let key = format!("tickets/{}/{}.{}", t.id, uuid::Uuid::new_v4().simple(), file_type.extension());
    state.storage.put(&key, up.bytes).await.map_err(storage_down)?;
    let now = state.now();
    let new = NewAttachment {
        ticket_id: t.id,
        object_key: key.clone(),
        filename: rules::display_name(&up.filename, file_type),
        size: i64::try_from(up.size).unwrap_or(i64::MAX),
        file_type,
        kind,
        uploaded_by: Some(auth.user.id),
    };
    let recorded = async {
        let txn = state.db.begin().await?;
        let a = repo::insert(&txn, new, now).await?;
        let detail = format!("{kind}: {} ({} KB)", a.filename, (a.size + 1023) / 1024);
        tickets::add_event(&txn, t.id, "attachment", None, &detail, Some(auth.user.id), now).await?;
        txn.commit().await?;
        Ok::<_, DbError>(a)
    }
    .await;
    match recorded {
        Ok(a) => Ok(a),
        Err(e) => {
            if let Err(cleanup) = state.storage.delete(&key).await {
                tracing::warn!(error = ?cleanup, key, "an unrecorded upload stays in storage");
            }
            Err(e.into())
        }
    }
}

/// The attachment and its bytes, for `auth` (404 when either is not theirs to see or is gone).
pub async fn fetch(state: &AppState, auth: &Authenticated, id: i64, aid: i64) -> AppResult<(Attachment, Bytes)> {
    let t = service::visible(&state.reads, auth, id).await?;
    let a = repo::get(&state.reads, t.id, aid).await?.ok_or_else(|| AppError::not_found("attachment"))?;
    match state.storage.get(&a.object_key).await.map_err(storage_down)? {
        Some(bytes) => Ok((a, bytes)),
        None => {
            tracing::warn!(key = a.object_key, "an attachment's object is missing from storage");
            Err(AppError::NotFound("the file of this attachment is missing from storage".into()))
        }
    }
}

/// Removes an attachment: its uploader while the ticket is worked, a supervisor or admin always.
pub async fn delete(state: &AppState, auth: &Authenticated, id: i64, aid: i64) -> AppResult<()> {
    let t = service::visible(&state.db, auth, id).await?;
    let a = repo::get(&state.db, t.id, aid).await?.ok_or_else(|| AppError::not_found("attachment"))?;
    let mine = a.uploaded_by == Some(auth.user.id);
    if !rules::may_delete(auth.user.role, mine, t.status.is_active()) {
        return Err(AppError::Forbidden(if mine {
            "the ticket is done: its files are the record of the work; ask a supervisor".into()
        } else {
            "only who added the file, or a supervisor, may remove it".into()
        }));
    }
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    if repo::delete(&txn, a.id).await? {
        let detail = format!("{}: {}", a.kind, a.filename);
        tickets::add_event(&txn, t.id, "attachment_removed", None, &detail, Some(auth.user.id), now).await?;
    }
    txn.commit().await.map_err(DbError::from)?;
    // The row is gone first: a failed delete leaves an unreferenced object, never a dead link.
    if let Err(e) = state.storage.delete(&a.object_key).await {
        tracing::warn!(error = ?e, "a removed attachment's object stays in storage");
    }
    Ok(())
}

/// 422 naming each completion photo ticket `t` still lacks (an installation needs three).
pub async fn check_photos(conn: &impl ConnectionTrait, t: &Ticket) -> AppResult<()> {
    if ticket_completion::required_photos(t.ticket_type).is_empty() {
        return Ok(());
    }
    let have = repo::kinds(conn, t.id).await?;
    let missing = ticket_completion::missing_photos(t.ticket_type, &have);
    if missing.is_empty() {
        return Ok(());
    }
    let fields = missing
        .iter()
        .map(|k| {
            let what = match k {
                AttachmentKind::Otdr => "the OTDR trace photo",
                AttachmentKind::Attenuation => "the photo of the power meter's reading",
                AttachmentKind::ModemSn => "the photo of the modem's serial number label",
                _ => "the photo",
            };
            (format!("photo.{k}"), vec![format!("upload {what} (kind {k}) to resolve a {} ticket", t.ticket_type)])
        })
        .collect();
    Err(AppError::fields(fields))
}

/// The response to a download: the stored type, a safe file name, never sniffed by the browser.
pub fn file_response(a: &Attachment, bytes: Bytes) -> Response {
    let disposition = if a.file_type.is_image() { "inline" } else { "attachment" };
    let ascii: String = a.filename.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' }).collect();
    let encoded: String = a
        .filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let value = format!("{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut res = Response::new(Body::from(bytes));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.file_type.as_str()));
    if let Ok(v) = HeaderValue::from_str(&value) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    res
}

/// `/tickets/{id}/attachments/{attachment_id}`: both ids, else a 404.
pub struct AttachmentPath(pub i64, pub i64);

impl<S: Send + Sync> FromRequestParts<S> for AttachmentPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let axum::extract::Path((a, b)) = axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound("no such attachment".into()))?;
        let id = |raw: &str| raw.parse::<i64>().ok().filter(|n| *n > 0);
        match (id(&a), id(&b)) {
            (Some(t), Some(x)) => Ok(AttachmentPath(t, x)),
            _ => Err(AppError::NotFound(format!("no attachment has the address `{a}/{b}`"))),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentOut {
    pub id: i64,
    pub ticket_id: i64,
    /// before, during, after, document, otdr, attenuation or modem_sn.
    pub kind: String,
    /// The name it was uploaded with (cleaned), with the extension of its real type.
    pub filename: String,
    pub size: i64,
    /// The type read from the file's bytes.
    pub content_type: String,
    pub uploaded_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// Where to download it.
    pub url: String,
}

impl From<Attachment> for AttachmentOut {
    fn from(a: Attachment) -> Self {
        AttachmentOut {
            url: format!("/api/v1/tickets/{}/attachments/{}", a.ticket_id, a.id),
            id: a.id,
            ticket_id: a.ticket_id,
            kind: a.kind.as_str().to_owned(),
            filename: a.filename,
            size: a.size,
            content_type: a.file_type.as_str().to_owned(),
            uploaded_by: a.uploaded_by,
            created_at: a.created_at,
        }
    }
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// before, during, after, document, otdr (OTDR trace), attenuation (power meter) or modem_sn.
    #[schema(value_type = aglis_core::attachment::AttachmentKind, inline)]
    kind: String,
    /// JPEG, PNG, GIF, WebP or PDF (PDF only as a document), at most 5 MB. The type is read from the bytes.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Attaches a photo or document to a ticket (multipart `kind` + `file`). 413 over 5 MB, 415 for a
/// file that is not a JPEG/PNG/GIF/WebP photo or a PDF document, whatever it claims to be.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/attachments", tag = "tickets",
    params(("id" = i64, Path, description = "Ticket id")), security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentOut),))]
async fn upload(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    IdPath(id): IdPath,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<(StatusCode, Json<AttachmentOut>)> {
    let up = read_upload(multipart).await?;
    Ok((StatusCode::CREATED, Json(add(&state, &auth, id, up).await?.into())))
}

/// A ticket's photos and documents, oldest first.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/attachments", tag = "tickets",
    params(("id" = i64, Path, description = "Ticket id"), PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<AttachmentOut>),))]
async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    IdPath(id): IdPath,
    paging: Paging,
) -> AppResult<Json<Page<AttachmentOut>>> {
    let t = service::visible(&state.reads, &auth, id).await?;
    let items: Vec<AttachmentOut> = repo::list(&state.reads, t.id).await?.into_iter().map(Into::into).collect();
    Ok(Json(Page::of_all(items, paging)))
}

/// Downloads an attachment with its type (`X-Content-Type-Options: nosniff`); photos inline,
/// documents as a download.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/attachments/{attachment_id}", tag = "tickets",
    params(("id" = i64, Path, description = "Ticket id"), ("attachment_id" = i64, Path, description = "Attachment id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The file's bytes", content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/gif"), (Vec<u8> = "image/webp"), (Vec<u8> = "application/pdf"))),))]
async fn download(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    AttachmentPath(id, aid): AttachmentPath,
) -> AppResult<Response> {
    let (a, bytes) = fetch(&state, &auth, id, aid).await?;
    Ok(file_response(&a, bytes))
}

/// Removes an attachment: its uploader while the ticket is worked, a supervisor or admin always.
#[utoipa::path(delete, path = "/api/v1/tickets/{id}/attachments/{attachment_id}", tag = "tickets",
    params(("id" = i64, Path, description = "Ticket id"), ("attachment_id" = i64, Path, description = "Attachment id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Removed"),))]
async fn remove(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    AttachmentPath(id, aid): AttachmentPath,
) -> AppResult<StatusCode> {
    delete(&state, &auth, id, aid).await?;
    Ok(StatusCode::NO_CONTENT)
}

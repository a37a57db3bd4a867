//! The ticket page's forms for files and comments: upload (multipart with the CSRF token),
//! remove (confirmed), comment; each goes back to the ticket, or shows it again with the message.
//! Downloads for the page (`<img src>`, links) are served here too, with the API's checks.

use super::{UPLOAD_BODY_LIMIT, add, delete, fetch, file_response, read_upload};
use crate::auth::extract::{CurrentUser, Staff, perm};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiForm, IdPath};
use crate::pages::Shell;
use crate::state::AppState;
use crate::tickets::comments::add_comment;
use crate::tickets::pages::after_action;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tickets/{id}/attachments", post(upload).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)))
        .route("/tickets/{id}/attachments/{attachment_id}", get(download))
        .route("/tickets/{id}/attachments/{attachment_id}/delete", post(remove))
        .route("/tickets/{id}/comments", post(comment))
}

/// A refused upload in the page's language (the API's messages are English).
fn localised(shell: &Shell, e: AppError) -> AppError {
    match e {
        AppError::PayloadTooLarge(_) => AppError::PayloadTooLarge(shell.t("ticket.att.err_large").into()),
        AppError::UnsupportedMediaType(_) => AppError::UnsupportedMediaType(shell.t("ticket.att.err_type").into()),
        AppError::Validation { fields, .. } if fields.contains_key("file") => {
            AppError::field("file", shell.t("ticket.att.err_file"))
        }
        other => other,
    }
}

async fn upload(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::TicketsView>,
    IdPath(id): IdPath,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let auth = staff.auth();
    let result = match read_upload(multipart).await {
        Ok(up) => add(&state, auth, id, up).await.map(|_| ()),
        Err(e) => Err(e),
    };
    let result = result.map_err(|e| localised(&shell, e));
    after_action(&state, shell, auth, id, BTreeMap::new(), result, "files").await
}

async fn download(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    super::AttachmentPath(id, aid): super::AttachmentPath,
) -> AppResult<Response> {
    let (a, bytes) = fetch(&state, &auth, id, aid).await?;
    Ok(file_response(&a, bytes))
}

async fn remove(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::TicketsView>,
    super::AttachmentPath(id, aid): super::AttachmentPath,
) -> AppResult<Response> {
    let auth = staff.auth();
    let result = delete(&state, auth, id, aid).await;
    after_action(&state, shell, auth, id, BTreeMap::new(), result, "files").await
}

#[derive(Debug, Deserialize)]
struct CommentForm {
    #[serde(default)]
    body: String,
}

async fn comment(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::TicketsView>,
    IdPath(id): IdPath,
    ApiForm(form): ApiForm<CommentForm>,
) -> AppResult<Response> {
    let auth = staff.auth();
    let result = add_comment(&state, auth, id, &form.body).await.map_err(|e| match e {
        AppError::Validation { fields, .. } if fields.contains_key("body") => {
            AppError::field("comment", shell.t("ticket.comment.err"))
        }
        other => other,
    });
    let typed = BTreeMap::from([("comment".to_owned(), form.body)]);
    after_action(&state, shell, auth, id, typed, result, "history").await
}

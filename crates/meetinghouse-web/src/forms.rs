//! Submitted forms: the body is parsed as `application/x-www-form-urlencoded`
//! (repeated keys kept, for checkboxes), and the CSRF token is checked before
//! a handler sees any field. A handler that takes [`Form`] cannot forget CSRF.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::{ErrorShown, WebError};
use crate::page::{ErrorPage, render_status};
use crate::state::AppState;
use crate::viewer::{Viewer, carries_site_cookie};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Largest form body accepted, in bytes (documented in the README).
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// Largest body of the admins' settings form (`/admin/settings`, read with
/// [`SettingsForm`]), in bytes: its two long texts, 20,000 characters each,
/// take up to 12 bytes a character once percent-encoded (480 KB together).
pub const MAX_SETTINGS_FORM_BYTES: usize = 512 * 1024;

/// Submitted fields, in order, after the CSRF check passed.
#[derive(Debug, Clone, Default)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(form_urlencoded::parse(body).into_owned().collect())
    }
    /// The first value of a field, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }
    /// Every value of a repeated field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
    /// Whether a checkbox was ticked.
    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), "on" | "true" | "yes" | "1")
    }
    /// Whether the form has a field of this name (even an empty one).
    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
    /// Whether a repeated field holds `value` (for re-ticking checkboxes).
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == value)
    }
    pub fn with(mut self, name: &str, value: &str) -> FormData {
        self.0.push((name.into(), value.into()));
        self
    }
    /// A copy without the fields whose names start with `prefix`.
    pub fn without_prefix(&self, prefix: &str) -> FormData {
        FormData(self.0.iter().filter(|(k, _)| !k.starts_with(prefix)).cloned().collect())
    }
    /// A copy without secrets, for re-rendering a form after an error.
    pub fn without_secrets(&self) -> FormData {
        FormData(self.0.iter().filter(|(k, _)| !k.contains("password") && k != "csrf").cloned().collect())
    }
}

/// A CSRF-checked form together with the viewer who sent it.
pub struct Form {
    pub viewer: Viewer,
    pub data: FormData,
}

/// Why a form was not taken: a [`WebError`], or a form whose token could
/// not be checked because the browser sent none of the site's cookies.
#[derive(Debug)]
pub enum FormRejection {
    Web(WebError),
    /// The browser keeps no cookies (it sent none of ours), so its forms'
    /// tokens can never match: asking it to reload would fail again the
    /// same way, for ever. It is told the site needs cookies for forms.
    NoCookies,
}

impl From<WebError> for FormRejection {
    fn from(e: WebError) -> Self {
        FormRejection::Web(e)
    }
}

impl FormRejection {
    /// As a [`WebError`], where only one will do (a browser without cookies
    /// is then told its form had expired).
    fn into_web(self) -> WebError {
        match self {
            FormRejection::Web(e) => e,
            FormRejection::NoCookies => WebError::Csrf,
        }
    }
}

const NO_COOKIES_TITLE: &str = "This form needs cookies";
const NO_COOKIES_MESSAGE: &str = "Your browser sent this form without any of our cookies, so we could not check that it came from our page. \
                                  Allow cookies for this site, then reload the page and send the form again. \
                                  We use cookies only to keep forms safe, to keep you signed in (signing in needs them too) and, in \
                                  common-ground conversations, to remember for a year the votes this browser gives without an account.";

impl IntoResponse for FormRejection {
    fn into_response(self) -> Response {
        match self {
            FormRejection::Web(e) => e.into_response(),
            FormRejection::NoCookies => {
                let mut resp = render_status(StatusCode::FORBIDDEN, &ErrorPage::new(NO_COOKIES_TITLE, NO_COOKIES_MESSAGE));
                resp.extensions_mut().insert(ErrorShown { title: NO_COOKIES_TITLE, message: NO_COOKIES_MESSAGE.to_string() });
                resp
            }
        }
    }
}

impl FromRequest<AppState> for Form {
    type Rejection = FormRejection;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        Form::read(req, state, MAX_FORM_BYTES).await
    }
}

/// A [`Form`] of up to [`MAX_SETTINGS_FORM_BYTES`]: the admins' settings form.
pub struct SettingsForm(pub Form);

impl FromRequest<AppState> for SettingsForm {
    type Rejection = FormRejection;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        Form::read(req, state, MAX_SETTINGS_FORM_BYTES).await.map(SettingsForm)
    }
}

/// Says, on a form shown again, that its token had expired: what was
/// typed is kept and the form carries a fresh token (see [`KeptForm`]).
pub const EXPIRED_FORM: &str = "Your form had expired, so nothing was sent: forms stop working when you sign in or out, or when the page is old. \
                                What you typed is kept below. Check it and send the form again.";

/// A form whose CSRF token may have expired (the browser still sends our
/// cookies): a handler that can show its form again takes this instead of
/// [`Form`], and when [`KeptForm::expired`] shows the form with what was
/// typed (without passwords), [`EXPIRED_FORM`] and the page's fresh token,
/// and does nothing else. A browser without any of our cookies is refused
/// as [`Form`] refuses it. Showing the form again is safe: a page of
/// another site that posts here is sent no session (our cookies are
/// SameSite), cannot read the answer, and nothing is done with the fields.
pub struct KeptForm {
    pub viewer: Viewer,
    pub data: FormData,
    /// The token did not match: nothing may be done with `data` but
    /// showing it again.
    pub expired: bool,
}

impl FromRequest<AppState> for KeptForm {
    type Rejection = FormRejection;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        match Form::read_checked(req, state, MAX_FORM_BYTES).await? {
            (Form { viewer, data }, true) => Ok(KeptForm { viewer, data, expired: false }),
            (Form { viewer, data }, false) => Ok(KeptForm { viewer, data: data.without_secrets(), expired: true }),
        }
    }
}

impl Form {
    /// Reads a form of at most `limit` bytes, checking its token.
    async fn read(req: Request, state: &AppState, limit: usize) -> Result<Form, FormRejection> {
        match Form::read_checked(req, state, limit).await? {
            (form, true) => Ok(form),
            (_, false) => Err(WebError::Csrf.into()),
        }
    }

    /// Reads a form of at most `limit` bytes, and whether its token
    /// matched; a browser that sent none of our cookies is refused.
    async fn read_checked(req: Request, state: &AppState, limit: usize) -> Result<(Form, bool), FormRejection> {
        let (mut parts, body) = req.into_parts();
        let viewer = <Viewer as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, state).await?;
        let ok_type = parts
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !ok_type {
            return Err(WebError::BadRequest("This address expects a submitted form.".into()).into());
        }
        let bytes = axum::body::to_bytes(body, limit)
            .await
            .map_err(|_| WebError::TooLarge(format!("The form was larger than {} KB.", limit / 1024)))?;
        let data = FormData::parse(&bytes);
        if !viewer.csrf_ok(data.get("csrf")) {
            // Without any of our cookies the token cannot match; with one,
            // the page was old (or signed in or out since).
            if !carries_site_cookie(&parts.headers) {
                return Err(FormRejection::NoCookies);
            }
            return Ok((Form { viewer, data }, false));
        }
        Ok((Form { viewer, data }, true))
    }
}

/// Largest upload request accepted (all files and fields together), in bytes.
pub const MAX_UPLOAD_REQUEST_BYTES: usize = 120 * 1024 * 1024;

// The largest photo a deployment may allow (`--max-upload-mb`) arrives in
// one request with the form's text and the parts' framing.
const _: () = assert!(meetinghouse_media::MAX_UPLOAD_MB_SETTING * 1024 * 1024 + 2 * MAX_FORM_BYTES <= MAX_UPLOAD_REQUEST_BYTES);

/// How many uploads' files are read into memory at once on one app server;
/// more wait their turn (within the upload routes' time limit). Each holds
/// at most [`MAX_UPLOAD_REQUEST_BYTES`], so uploads hold at most 240 MB
/// together on a small machine, however many are sent at once. A turn is
/// taken only when a file's bytes start to arrive (a story sent without a
/// photo never waits for one), one account holds at most one at a time
/// ([`ACCOUNT_WAIT_SECS`]) and takes at most [`UPLOAD_TURNS_PER_HOUR`], and
/// a photo upload keeps its turn only while it arrives at
/// [`MIN_BYTES_PER_SEC`] and for at most [`TURN_DEADLINE_SECS`]: slow
/// senders cannot hold every turn.
pub const UPLOADS_AT_ONCE: usize = 2;

/// How many collection imports work at once on one app server, on turns of
/// their own: an import holds its turn from its file's first bytes until its
/// report is written (up to the upload routes' time limit), so imports never
/// hold up photo uploads, and at most this many hold a file (up to the
/// import's limit, 50 MB) and a batch of records at once.
pub const IMPORTS_AT_ONCE: usize = 2;

/// How long an upload (or an import) waits for one of the server's turns
/// before its photos are refused with "try again in a minute" (the story
/// form comes back, 429, with what was typed; an import is refused whole),
/// rather than waiting on without end behind slow senders.
pub const TURN_WAIT_SECS: u64 = 20;

/// How long nothing may arrive of an upload's body before it is stopped.
pub const IDLE_SECS: u64 = 30;

/// The longest a photo upload holds one of the server's turns while its
/// files arrive: 15 MB (three phone photos) at 125 KB a second. Past it the
/// turn goes to others, the rest of the body is read and let go, and the
/// form comes back with what was typed and the photos named.
pub const TURN_DEADLINE_SECS: u64 = 120;

/// The slowest a photo upload may arrive, on average since it took its
/// turn, and keep it (checked from [`RATE_GRACE_SECS`] on): a trickle of
/// bytes, enough to keep a connection open, does not hold a turn.
pub const MIN_BYTES_PER_SEC: u64 = 32 * 1024;

/// How long a photo upload holds its turn before its rate is looked at
/// (a connection can be slow to start).
pub const RATE_GRACE_SECS: u64 = 30;

/// How many upload turns one account may take in an hour on one app
/// server (counted before the turn is waited for): three new photos a
/// visit to the form, as often as the hourly photo limit (60) allows.
pub const UPLOAD_TURNS_PER_HOUR: usize = 20;

/// How long a second upload from the same account waits for the first to
/// finish before it is refused.
pub const ACCOUNT_WAIT_SECS: u64 = 10;

/// The most parts (fields and files) one multipart form may have.
pub const MAX_FIELDS: usize = 200;

/// The upload turns of one app server: [`UPLOADS_AT_ONCE`] in all, and one
/// for each account sending files now (an account's entry goes when its
/// last upload ends); the turns each account took in the last hour; and
/// apart from them [`IMPORTS_AT_ONCE`] for collection imports. Kept in the
/// app's state.
pub struct UploadTurns {
    server: Arc<Semaphore>,
    accounts: Mutex<HashMap<i64, Arc<Semaphore>>>,
    taken: Mutex<HashMap<i64, VecDeque<Instant>>>,
    imports: Arc<Semaphore>,
}

impl Default for UploadTurns {
    fn default() -> Self {
        UploadTurns {
            server: Arc::new(Semaphore::new(UPLOADS_AT_ONCE)),
            accounts: Mutex::default(),
            taken: Mutex::default(),
            imports: Arc::new(Semaphore::new(IMPORTS_AT_ONCE)),
        }
    }
}

impl UploadTurns {
    fn accounts(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Arc<Semaphore>>> {
        self.accounts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many of the server's upload turns, and of its import turns, are
    /// free now.
    pub fn free(&self) -> (usize, usize) {
        (self.server.available_permits(), self.imports.available_permits())
    }

    /// Forgets `account`'s entry if nobody holds or awaits its turn: only
    /// the map and the caller's `semaphore` hold it, and its one permit is free.
    fn forget_if_idle(&self, account: i64, semaphore: &Arc<Semaphore>) {
        let mut accounts = self.accounts();
        if Arc::strong_count(semaphore) == 2 && semaphore.available_permits() == 1 {
            accounts.remove(&account);
        }
    }

    /// Counts a turn taken by `account` now; false (not counted) when it
    /// took [`UPLOAD_TURNS_PER_HOUR`] in the last hour.
    fn count_turn(&self, account: i64) -> bool {
        let now = Instant::now();
        let hour = Duration::from_secs(3600);
        let mut taken = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        // Accounts that took none in the last hour are forgotten now and then.
        if taken.len() >= 1024 {
            taken.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < hour));
        }
        let times = taken.entry(account).or_default();
        while times.front().is_some_and(|t| now.duration_since(*t) >= hour) {
            times.pop_front();
        }
        if times.len() >= UPLOAD_TURNS_PER_HOUR {
            return false;
        }
        times.push_back(now);
        true
    }
}

/// An upload's turn to read and process its files: one of
/// [`UPLOADS_AT_ONCE`], and its account's one; or an import's, one of
/// [`IMPORTS_AT_ONCE`]. Given back when dropped.
pub struct UploadTurn {
    _server: OwnedSemaphorePermit,
    turns: Arc<UploadTurns>,
    account: i64,
    /// The account's turn (uploads only).
    mine: Option<OwnedSemaphorePermit>,
}

impl Drop for UploadTurn {
    fn drop(&mut self) {
        if let Some(permit) = self.mine.take() {
            let semaphore = permit.semaphore().clone();
            drop(permit);
            self.turns.forget_if_idle(self.account, &semaphore);
        }
    }
}

/// Says that the server's upload turns stayed taken for [`TURN_WAIT_SECS`]:
/// the story form comes back with it, and the photos are named.
pub const UPLOADS_BUSY: &str = "Many uploads are under way on the server right now, so your photos could not be added. Try again in a minute: what you wrote is kept below, so choose the photos again and send the form.";

/// Says that the server's import turns stayed taken for [`TURN_WAIT_SECS`].
pub const IMPORTS_BUSY: &str = "Other collection imports are under way on the server right now, so this one could not start, and nothing was imported. Try again in a few minutes: go back to the form and send it again.";

/// Which turns an upload takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TurnKind {
    Upload,
    Import,
}

impl UploadTurn {
    /// Counts the turn against the account's [`UPLOAD_TURNS_PER_HOUR`],
    /// waits for the account's turn (at most [`ACCOUNT_WAIT_SECS`]), then
    /// for one of the server's (at most [`TURN_WAIT_SECS`]). Refused with
    /// why, for the form to say.
    async fn take(turns: &Arc<UploadTurns>, account: i64) -> Result<UploadTurn, Unread> {
        if !turns.count_turn(account) {
            return Err(Unread::TooOften);
        }
        let semaphore = turns.accounts().entry(account).or_insert_with(|| Arc::new(Semaphore::new(1))).clone();
        let wait = Duration::from_secs(ACCOUNT_WAIT_SECS);
        let Ok(Ok(mine)) = tokio::time::timeout(wait, semaphore.clone().acquire_owned()).await else {
            turns.forget_if_idle(account, &semaphore);
            return Err(Unread::AlreadySending);
        };
        drop(semaphore);
        let wait = Duration::from_secs(TURN_WAIT_SECS);
        let Ok(Ok(server)) = tokio::time::timeout(wait, turns.server.clone().acquire_owned()).await else {
            let semaphore = mine.semaphore().clone();
            drop(mine);
            turns.forget_if_idle(account, &semaphore);
            return Err(Unread::Busy);
        };
        Ok(UploadTurn { _server: server, turns: turns.clone(), account, mine: Some(mine) })
    }

    /// Waits for one of the server's import turns (at most [`TURN_WAIT_SECS`]).
    pub(crate) async fn take_import(turns: &Arc<UploadTurns>) -> Result<UploadTurn, WebError> {
        let wait = Duration::from_secs(TURN_WAIT_SECS);
        match tokio::time::timeout(wait, turns.imports.clone().acquire_owned()).await {
            Ok(Ok(server)) => Ok(UploadTurn { _server: server, turns: turns.clone(), account: 0, mine: None }),
            // The semaphores are never closed.
            Ok(Err(e)) => Err(WebError::Internal(e.into())),
            Err(_) => Err(WebError::TooManyRequests(IMPORTS_BUSY.into())),
        }
    }
}

/// How a photo upload holding a turn is doing: since when it holds it,
/// and how many bytes of the body arrived since.
struct Holding {
    since: Instant,
    bytes: u64,
}

impl Holding {
    /// When it loses its turn if nothing more arrives: [`TURN_DEADLINE_SECS`]
    /// after taking it, or as soon as it has arrived slower than
    /// [`MIN_BYTES_PER_SEC`] on average, from [`RATE_GRACE_SECS`] on.
    fn lost_at(&self) -> Instant {
        let slow = Duration::from_secs(RATE_GRACE_SECS).max(Duration::from_secs_f64(self.bytes as f64 / MIN_BYTES_PER_SEC as f64));
        self.since + slow.min(Duration::from_secs(TURN_DEADLINE_SECS))
    }

    /// Whether it has lost its turn at `now`.
    fn lost(&self, now: Instant) -> bool {
        now >= self.lost_at()
    }
}

/// One uploaded file.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// The form field it came in.
    pub field: String,
    /// The name on the sender's computer (for messages only).
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// Why a file on a story's form was read past, not kept: the form comes
/// back with what was typed, and says so at the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unread {
    /// Over the per-file limit.
    TooLarge,
    /// No upload turn came free within [`TURN_WAIT_SECS`].
    Busy,
    /// It lost its turn: slower than [`MIN_BYTES_PER_SEC`], or not in
    /// within [`TURN_DEADLINE_SECS`].
    TooSlow,
    /// The account took [`UPLOAD_TURNS_PER_HOUR`] turns in the last hour.
    TooOften,
    /// The account was sending files from another window for
    /// [`ACCOUNT_WAIT_SECS`].
    AlreadySending,
    /// The handler wanted no files: the form is refused whatever they are.
    NotWanted,
}

/// A file read past, not kept: (form field, file name, why).
#[derive(Debug, Clone)]
pub struct UnreadFile {
    pub field: String,
    pub filename: String,
    pub why: Unread,
}

/// A CSRF-checked `multipart/form-data` submission (or a plain form, with
/// no files) from a signed-in person: its text fields and its files.
///
/// Nothing of the body is read for a request without a signed-in session
/// (every upload needs an account), and the CSRF token is checked as soon as
/// its field arrives: the forms put it first, and a file sent before it is
/// refused unread. Each file is capped at `per_file` bytes as it streams in,
/// so an oversized file is refused before it is all in memory, and text
/// fields are capped as they stream in too: their names, the files' names
/// and the text together within [`MAX_FORM_BYTES`], at most [`MAX_FIELDS`]
/// parts, and only names the form uses.
/// At most [`UPLOADS_AT_ONCE`] uploads read files at once, one per account
/// ([`UploadTurn`]), and apart from them at most [`IMPORTS_AT_ONCE`]
/// imports ([`PendingUpload::read_import`]); the turn is held until the
/// upload is dropped, so the files' processing counts too, and waited for at
/// most [`TURN_WAIT_SECS`]. A body of which nothing arrives for
/// [`IDLE_SECS`] is stopped. (A story form's upload is a [`FormUpload`]:
/// its files can also be refused for the turn, and the form comes back.)
pub struct Upload {
    pub viewer: Viewer,
    pub data: FormData,
    pub files: Vec<UploadedFile>,
    /// Files over the per-file limit, as (form field, file name): read past,
    /// not kept, so the handler can show the form again with the text typed
    /// and say which file was too large. A handler must report them.
    pub too_large: Vec<(String, String)>,
    /// This upload's turn (see [`UPLOADS_AT_ONCE`]), `None` for a form
    /// without files: a handler keeps it (`turn: _turn`) while it works on
    /// the files.
    pub turn: Option<UploadTurn>,
}

/// A story form's submission ([`PendingUpload::read_form`]): as [`Upload`],
/// and a file is read past, not kept, for the turn too ([`Unread`]): the
/// server's turns stayed busy, the account took too many, or the file
/// arrived too slowly and lost its turn (then every file of the form goes,
/// and the rest of the body is read without a turn). A handler must report
/// every `unread` file, and shows the form again with what was typed.
pub struct FormUpload {
    pub viewer: Viewer,
    pub data: FormData,
    pub files: Vec<UploadedFile>,
    pub unread: Vec<UnreadFile>,
    /// This upload's turn, `None` for a form without files (or whose files
    /// were all read past): keep it while working on the files.
    pub turn: Option<UploadTurn>,
    /// The form's token had expired: its text was read up to its first
    /// chosen file (named in `unread` as [`Unread::NotWanted`], and the rest
    /// of the body left unread) only to show the form again, with
    /// [`EXPIRED_FORM`]; nothing else may be done with it.
    pub expired: bool,
}

/// An upload whose sender is signed in, its body not read yet: the handler
/// checks what it must (may this person post, edit this story…) before
/// calling [`PendingUpload::read_form`] (or [`PendingUpload::read_import`]).
pub struct PendingUpload {
    pub viewer: Viewer,
    req: Request,
}

impl Upload {
    /// Who is sending, from the headers alone; refused (sign in first)
    /// without reading the body when there is no valid session.
    pub async fn start(req: Request, state: &AppState) -> Result<PendingUpload, WebError> {
        let (mut parts, body) = req.into_parts();
        let viewer = <Viewer as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, state).await?;
        viewer.require()?;
        Ok(PendingUpload { viewer, req: Request::from_parts(parts, body) })
    }
}

/// "The file … is larger than 20 MB, the limit for one file."
pub fn too_large_message(filename: &str, per_file: usize) -> String {
    format!("The file “{filename}” is larger than {}, the limit for one file.", size_words(per_file))
}

/// A size limit in words: "20 MB", or "200 KB" under a megabyte.
pub fn size_words(bytes: usize) -> String {
    if bytes >= 1024 * 1024 { format!("{} MB", bytes / (1024 * 1024)) } else { format!("{} KB", bytes.div_ceil(1024)) }
}

/// What [`PendingUpload::read_parts`] read.
struct Parts {
    viewer: Viewer,
    data: FormData,
    files: Vec<UploadedFile>,
    unread: Vec<UnreadFile>,
    turn: Option<UploadTurn>,
    /// The token did not match (only an upload's form reads on past it).
    expired: bool,
}

/// The next piece of a body, or the turn lost while waiting for it.
enum Next<T> {
    Got(T),
    TurnLost,
}

impl PendingUpload {
    /// Reads a story form's fields and files, checking the CSRF token
    /// first, and refuses a part whose name `uses` says the form does not
    /// have. With `want_files` false (the form will be refused whatever
    /// its photos are) no file is kept and no turn is taken: each is read
    /// past as [`Unread::NotWanted`].
    pub async fn read_form(self, state: &AppState, per_file: usize, uses: fn(&str) -> bool, want_files: bool) -> Result<FormUpload, WebError> {
        let p = self.read_parts(state, per_file, uses, TurnKind::Upload, want_files).await?;
        Ok(FormUpload { viewer: p.viewer, data: p.data, files: p.files, unread: p.unread, turn: p.turn, expired: p.expired })
    }

    /// As [`PendingUpload::read_form`], for a collection import: its file is
    /// read on one of the import turns ([`IMPORTS_AT_ONCE`]), not the
    /// uploads' (an import holds its turn for as long as it runs), and a
    /// busy server refuses it whole (429).
    pub async fn read_import(self, state: &AppState, per_file: usize, uses: fn(&str) -> bool) -> Result<Upload, WebError> {
        let p = self.read_parts(state, per_file, uses, TurnKind::Import, true).await?;
        if p.expired {
            return Err(WebError::Csrf);
        }
        let too_large = p.unread.into_iter().filter(|u| u.why == Unread::TooLarge).map(|u| (u.field, u.filename)).collect();
        Ok(Upload { viewer: p.viewer, data: p.data, files: p.files, too_large, turn: p.turn })
    }

    async fn read_parts(self, state: &AppState, per_file: usize, uses: fn(&str) -> bool, kind: TurnKind, want_files: bool) -> Result<Parts, WebError> {
        use axum::extract::Multipart;
        let PendingUpload { viewer, req } = self;
        let urlencoded = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if urlencoded {
            // The same form without files (a client that sends no photos;
            // signed in, so it keeps cookies).
            let (Form { viewer, data }, checked) = Form::read_checked(req, state, MAX_FORM_BYTES).await.map_err(FormRejection::into_web)?;
            if data.0.len() > MAX_FIELDS {
                return Err(WebError::TooLarge(TOO_MANY_FIELDS.into()));
            }
            if data.0.iter().any(|(name, _)| name != "csrf" && !uses(name)) {
                return Err(WebError::BadRequest(UNKNOWN_FIELD.into()));
            }
            return Ok(Parts { viewer, data, files: Vec::new(), unread: Vec::new(), turn: None, expired: !checked });
        }
        let account = viewer.require()?.id;
        let mut multipart = Multipart::from_request(req, state)
            .await
            .map_err(|_| WebError::BadRequest("This address expects a form with files (multipart/form-data).".into()))?;
        let mut data = FormData::default();
        let mut files = Vec::new();
        let mut unread: Vec<UnreadFile> = Vec::new();
        let mut turn: Option<UploadTurn> = None;
        // A photo upload's hold on its turn (imports are not timed).
        let mut holding: Option<Holding> = None;
        // Once a file is refused for the turn, every later one is too.
        let mut refused: Option<Unread> = if want_files { None } else { Some(Unread::NotWanted) };
        let mut text_bytes = 0usize;
        let mut parts = 0usize;
        let mut csrf_checked = false;
        // An upload's form whose token expired is read on for its text, to
        // show it again, up to its first chosen file; no file is kept.
        let mut expired = false;
        // When the last piece of the body arrived (or a wait for a turn ended).
        let mut last = Instant::now();
        let text_too_large = || WebError::TooLarge(format!("The form's text was larger than {} KB.", MAX_FORM_BYTES / 1024));
        let cut_off = || WebError::BadRequest("The upload was cut off or malformed; please try again.".into());
        let too_large_in_all = || WebError::TooLarge(format!("The upload was larger than {} MB in all.", MAX_UPLOAD_REQUEST_BYTES / (1024 * 1024)));
        // The turn lost: every file read so far goes too, and the rest of
        // the body is read without a turn.
        let lose_turn = |turn: &mut Option<UploadTurn>, holding: &mut Option<Holding>, files: &mut Vec<UploadedFile>, unread: &mut Vec<UnreadFile>| {
            *turn = None;
            *holding = None;
            unread.extend(files.drain(..).map(|f| UnreadFile { field: f.field, filename: f.filename, why: Unread::TooSlow }));
        };
        loop {
            let next = match timed(multipart.next_field(), holding.as_ref(), &mut last).await? {
                Next::Got(next) => next,
                Next::TurnLost => {
                    lose_turn(&mut turn, &mut holding, &mut files, &mut unread);
                    refused = Some(Unread::TooSlow);
                    continue;
                }
            };
            let field = match next {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large_in_all()),
                Err(_) => return Err(cut_off()),
            };
            // Names count against the text budget too: a part's headers are
            // read whole before it is seen here, but never more of them than
            // the body's limit, and they are let go at once.
            parts += 1;
            if parts > MAX_FIELDS {
                return Err(WebError::TooLarge(TOO_MANY_FIELDS.into()));
            }
            text_bytes += field.name().map_or(0, str::len) + field.file_name().map_or(0, str::len);
            if text_bytes > MAX_FORM_BYTES {
                return Err(text_too_large());
            }
            let name = field.name().unwrap_or("").to_string();
            if name != "csrf" && !uses(&name) {
                return Err(WebError::BadRequest(UNKNOWN_FIELD.into()));
            }
            match field.file_name().map(str::to_string) {
                Some(_) if !csrf_checked => {
                    // Our forms send the token before any file; a file first
                    // is not read at all.
                    return Err(WebError::BadRequest(
                        "The form's security token must come before any file. Reload the page and send the form again.".into(),
                    ));
                }
                Some(filename) if expired && !filename.is_empty() => {
                    // A chosen file after an expired token is not read: the
                    // form comes back now with the text read so far (a
                    // story's title and text come before its photos), the
                    // file named to choose again.
                    unread.push(UnreadFile { field: name, filename, why: Unread::NotWanted });
                    break;
                }
                Some(filename) => {
                    let mut field = field;
                    let mut bytes = Vec::new();
                    let mut over = false;
                    let mut why: Option<Unread> = None;
                    let mut arrived = 0usize;
                    loop {
                        let chunk = match timed(field.chunk(), holding.as_ref(), &mut last).await? {
                            Next::Got(chunk) => chunk,
                            Next::TurnLost => {
                                lose_turn(&mut turn, &mut holding, &mut files, &mut unread);
                                refused = Some(Unread::TooSlow);
                                why = Some(Unread::TooSlow);
                                bytes = Vec::new();
                                continue;
                            }
                        };
                        match chunk {
                            Ok(Some(chunk)) => {
                                arrived += chunk.len();
                                let lost = holding.as_mut().is_some_and(|h| {
                                    h.bytes += chunk.len() as u64;
                                    h.lost(Instant::now())
                                });
                                // A sender that keeps the bytes coming still
                                // loses its turn at the deadline.
                                if lost {
                                    lose_turn(&mut turn, &mut holding, &mut files, &mut unread);
                                    refused = Some(Unread::TooSlow);
                                    why = Some(Unread::TooSlow);
                                    bytes = Vec::new();
                                    continue;
                                }
                                // The upload's turn, from the file's first
                                // bytes (an empty file input sends none).
                                if turn.is_none() && refused.is_none() && !chunk.is_empty() {
                                    match kind {
                                        TurnKind::Upload => match UploadTurn::take(&state.uploads, account).await {
                                            Ok(t) => {
                                                turn = Some(t);
                                                holding = Some(Holding { since: Instant::now(), bytes: chunk.len() as u64 });
                                            }
                                            Err(no) => refused = Some(no),
                                        },
                                        TurnKind::Import => turn = Some(UploadTurn::take_import(&state.uploads).await?),
                                    }
                                    last = Instant::now();
                                }
                                // Refused, or past the limit: the rest is read
                                // and let go (the request's own limit still
                                // bounds it).
                                if why.is_none() && !chunk.is_empty() && turn.is_none() {
                                    why = refused;
                                }
                                if why.is_some() || over || bytes.len() + chunk.len() > per_file {
                                    over |= why.is_none();
                                    bytes = Vec::new();
                                    continue;
                                }
                                bytes.extend_from_slice(&chunk);
                            }
                            Ok(None) => break,
                            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large_in_all()),
                            Err(_) => return Err(cut_off()),
                        }
                    }
                    if let Some(why) = why {
                        unread.push(UnreadFile { field: name, filename, why });
                    } else if over {
                        unread.push(UnreadFile { field: name, filename, why: Unread::TooLarge });
                    } else if !(filename.is_empty() && arrived == 0) {
                        // (A file input left empty still sends a part with no name and no bytes.)
                        files.push(UploadedFile { field: name, filename, bytes });
                    }
                }
                None => {
                    // Capped as it streams in: a text field is never read
                    // past the form's text budget.
                    let mut field = field;
                    let mut raw = Vec::new();
                    loop {
                        let chunk = match timed(field.chunk(), holding.as_ref(), &mut last).await? {
                            Next::Got(chunk) => chunk,
                            Next::TurnLost => {
                                lose_turn(&mut turn, &mut holding, &mut files, &mut unread);
                                refused = Some(Unread::TooSlow);
                                continue;
                            }
                        };
                        match chunk {
                            Ok(Some(chunk)) => {
                                if let Some(h) = &mut holding {
                                    h.bytes += chunk.len() as u64;
                                }
                                text_bytes += chunk.len();
                                if text_bytes > MAX_FORM_BYTES {
                                    return Err(text_too_large());
                                }
                                raw.extend_from_slice(&chunk);
                            }
                            Ok(None) => break,
                            Err(_) => return Err(cut_off()),
                        }
                    }
                    let value = String::from_utf8(raw).map_err(|_| WebError::BadRequest("The form could not be read.".into()))?;
                    if name == "csrf" && !csrf_checked {
                        // The first token sent is the one that counts.
                        if !viewer.csrf_ok(&value) {
                            if kind != TurnKind::Upload {
                                return Err(WebError::Csrf);
                            }
                            expired = true;
                            refused = Some(Unread::NotWanted);
                        }
                        csrf_checked = true;
                    }
                    data = data.with(&name, &value);
                }
            }
        }
        if !csrf_checked {
            return Err(WebError::Csrf);
        }
        Ok(Parts { viewer, data, files, unread, turn, expired })
    }
}

/// Says a form had more parts than [`MAX_FIELDS`].
const TOO_MANY_FIELDS: &str = "The form had more fields than it can have. Reload the page and send the form again.";

/// Says a form had a field it does not use.
const UNKNOWN_FIELD: &str = "The form was sent with a field it does not have. Reload the page and send the form again.";

/// Waits for the next piece of an upload's body: until [`IDLE_SECS`] after
/// the `last` piece arrived (set anew when one does), and, while a photo
/// upload holds a turn (`holding`), only until it loses it
/// ([`Holding::lost_at`]). The pieces come from a stream, so a wait cut
/// short loses nothing: the next one asks again.
async fn timed<T>(next: impl std::future::Future<Output = T>, holding: Option<&Holding>, last: &mut Instant) -> Result<Next<T>, WebError> {
    let idle = tokio::time::Instant::from_std(*last + Duration::from_secs(IDLE_SECS));
    let until = holding.map_or(idle, |h| idle.min(tokio::time::Instant::from_std(h.lost_at())));
    match tokio::time::timeout_at(until, next).await {
        Ok(got) => {
            *last = Instant::now();
            Ok(Next::Got(got))
        }
        Err(_) if holding.is_some_and(|h| h.lost(Instant::now())) => Ok(Next::TurnLost),
        Err(_) => Err(WebError::BadRequest(format!(
            "Nothing more of the form arrived for {IDLE_SECS} seconds, so it was stopped. Check your connection, then send the form again."
        ))),
    }
}

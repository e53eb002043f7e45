//! A group's purpose as a versioned statement that its members change by
//! amendment, with consent (docs/design/0007-purposes.md).
//!
//! Version 1 is the purpose the group was started with, by its creator.
//! A member proposes an amendment: the whole new text, why, and the version
//! it amends. For [`WINDOW_SECS`] any member may object, with a reason;
//! objectors may change their reason or withdraw their objection, and the
//! proposer may withdraw the amendment, while the window is open. When it
//! closes, [`settle_due`] settles it: with no objection left standing it is
//! adopted (a new version, the group's purpose, and every other open
//! amendment of the group, now on a stale base, superseded); with one or
//! more standing it is not adopted. An objection stands while it is not
//! withdrawn and its author still takes part in the group (someone who left,
//! closed their account or was suspended can no longer withdraw theirs, so
//! it no longer counts). A host cannot make an objection stop counting:
//! core `groups::remove` refuses a removal that would take a standing
//! objector out of the group while the amendment is open. An amendment
//! whose base is no longer the current version is superseded, never
//! adopted; archiving a group supersedes its open amendments at once
//! ([`supersede_for_archive`]: nobody may object while it is archived, so
//! none may run on through it), and one found open in an archived group
//! when it is settled is superseded too: an archived group's purpose never
//! changes. One whose proposer's account is no longer active (closed,
//! suspended, banned) is withdrawn, never adopted: closing an account
//! withdraws its open amendments in the closing transaction
//! ([`withdraw_for_closing`]), and settling treats any other inactive
//! proposer the same way ([`Outcome::ProposerGone`]); so is one whose
//! proposer no longer takes part in the group when it is settled
//! ([`Outcome::ProposerLeft`]: they may no longer see it, nor withdraw it).
//! A host who removes its proposer thereby keeps the purpose as it is,
//! which any member could do by objecting. When an amendment is
//! proposed every member is told, and the group's page says how many are
//! open and until when. When an amendment leaves
//! `open` (settled, withdrawn) whether each objection counted, and why not,
//! is recorded, so its page keeps saying how things stood then. Nothing is
//! deleted: every version, amendment and objection (withdrawn ones marked,
//! ones no longer counted marked) stays visible to whoever may see the
//! group; words the moderators hid are shown as "removed by the moderators"
//! (core `moderation`), and that never changes what counts.
//!
//! "Member" is the store's one rule of membership (`groups::reach!`:
//! directly, through an organisation, through a member group), checked in
//! the transaction that acts, with an active account. A members-only
//! group's purpose pages are "not found" to people outside it.
//!
//! Each amendment has a conversation ([`crate::subjects::Subject::Amendment`]),
//! moderated by the group's hosts.

use meetinghouse_store::groups::{self as store_groups, GroupRow};
use meetinghouse_store::notifications as store_notifications;
use meetinghouse_store::purposes::{self as store, NewAmendment};
use meetinghouse_store::{Db, StoreError, Tx};

pub use meetinghouse_store::purposes::{AmendmentRow, ObjectionRow, VersionRow};

use crate::accounts::ensure_can_post;
use crate::attempts::{self, Budget};
use crate::error::{CoreError, FieldErrors, Result};
use crate::notifications::{self, Kind, Mailer, Source};
use crate::settings::Settings;
use crate::types::{limits, text};
use crate::{Actor, groups, markdown};

/// How long an amendment stays open for objections: seven days from when it
/// was proposed, the same for every amendment (a fixed window, so nobody
/// can shorten it to slip a change past the members).
pub const WINDOW_SECS: i64 = 7 * 86_400;
/// The longest reason for an amendment ("why"), in characters. The new
/// text's limit is the purpose's own, [`limits::PURPOSE_MAX`].
pub const WHY_MAX: usize = 1_000;
/// The longest reason for an objection, in characters.
pub const REASON_MAX: usize = 1_000;
/// Most amendments one group may have open at once: members can weigh a
/// handful of changes together, not dozens.
pub const OPEN_PER_GROUP: i64 = 10;
/// Most amendments one person may have open in one group at once.
pub const OPEN_PER_PERSON: i64 = 3;
/// Proposals per account: at most 10 in any hour, counted in the database
/// (core's [`attempts`]), so every app server shares one budget. Each one
/// tells the group's hosts.
pub const PROPOSALS: Budget = Budget { name: "purpose_proposal", limit: 10, period_secs: 3600 };
/// What someone past [`PROPOSALS`] is told.
pub const PROPOSALS_MESSAGE: &str =
    "You have proposed many amendments in the last hour. Please wait a while and send this one again — what you wrote is kept below.";
/// How many versions the purpose page lists, newest first (each version's
/// page links to the one before, so older ones stay reachable).
pub const VERSIONS_LISTED: i64 = 100;
/// How many settled amendments the purpose page lists at a time, newest
/// first (`?page=2` for the next).
pub const SETTLED_LISTED: i64 = 50;
/// How many of the people who shaped a purpose its page names.
pub const SHAPERS_LISTED: i64 = 50;
/// The most work a word difference may do: the product of the two texts'
/// lengths in words, after the words they share at the start and the end
/// are set aside. Purposes are at most 1,000 characters (about 500 words a
/// side, 250,000 cells); a longer pair, stored before a limit changed, is
/// shown as the whole old text removed and the whole new text added.
pub const DIFF_CELLS_MAX: usize = 1_000_000;
/// How many amendments [`settle_due`] looks for at a time, and how many such
/// rounds one run makes at most (the jobs run every minute).
pub const SETTLE_BATCH: i64 = 100;
pub const SETTLE_ROUNDS: usize = 50;
/// The most members told that an amendment is open, when it is proposed
/// (the group's hosts always are): the group's page says so to everyone
/// else. A limit on the work one proposal does in its transaction.
pub const OPENING_TOLD_MAX: i64 = 2_000;
/// How long a proposer who read that someone objected is not told again of
/// the same person's objection (withdrawing and objecting again is no news).
pub const OBJECTION_QUIET_SECS: i64 = 86_400;

/// The address of an amendment's page.
pub fn amendment_path(slug: &str, id: i64) -> String {
    format!("/groups/{slug}/amendments/{id}")
}

/// An amendment's title, as its page and its conversation name it.
pub fn amendment_title(id: i64, group_name: &str) -> String {
    format!("Amendment {id} to the purpose of {group_name}")
}

/// An amendment's state in words: "open", "adopted", "not adopted",
/// "withdrawn", "superseded".
pub fn state_words(state: &str) -> &'static str {
    match state {
        "open" => "open",
        "adopted" => "adopted",
        "not_adopted" => "not adopted",
        "withdrawn" => "withdrawn",
        _ => "superseded",
    }
}

/// How an amendment was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// No objection stood when its window closed: it is this version now.
    Adopted { version: i64 },
    /// This many objections still stood.
    NotAdopted { standing: i64 },
    /// Its base was no longer the current version.
    Superseded,
    /// Its group was archived (stored as `superseded`: the archive overtook
    /// it, as an adoption would have; it can be proposed again if the group
    /// is opened again).
    Archived,
    /// Its proposer's account was no longer active (closed, suspended or
    /// banned) when its window closed: stored as `withdrawn`, as for the
    /// objections of such an account, which no longer count either.
    ProposerGone,
    /// Its proposer no longer took part in the group (they left it, or the
    /// organisation or member group that brought them in) when its window
    /// closed: stored as `withdrawn`, as for the objections of someone who
    /// left, which no longer count either. They may no longer see a
    /// members-only group's amendment, nor withdraw it, so their silence
    /// must not adopt it.
    ProposerLeft,
}

impl Outcome {
    fn state(self) -> &'static str {
        match self {
            Outcome::Adopted { .. } => "adopted",
            Outcome::NotAdopted { .. } => "not_adopted",
            Outcome::Superseded | Outcome::Archived => "superseded",
            Outcome::ProposerGone | Outcome::ProposerLeft => "withdrawn",
        }
    }
}

/// One run of a word difference: words both texts share, words only the
/// old one has, or words only the new one has, each run joined by spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Same(String),
    Removed(String),
    Added(String),
}

/// The words of `old` and `new` (split at white space) as runs of shared,
/// removed and added words: a longest common subsequence over words, after
/// the shared start and end are set aside, within [`DIFF_CELLS_MAX`]. Where
/// words are replaced, the removed run comes before the added one.
pub fn diff_words(old: &str, new: &str) -> Vec<Piece> {
    let a: Vec<&str> = old.split_whitespace().collect();
    let b: Vec<&str> = new.split_whitespace().collect();
    let start = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let end = a[start..].iter().rev().zip(b[start..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (am, bm) = (&a[start..a.len() - end], &b[start..b.len() - end]);
    // 0 shared, 1 removed, 2 added.
    let mut steps: Vec<(u8, &str)> = a[..start].iter().map(|w| (0, *w)).collect();
    let (n, m) = (am.len(), bm.len());
    if n.saturating_mul(m) > DIFF_CELLS_MAX {
        steps.extend(am.iter().map(|w| (1, *w)));
        steps.extend(bm.iter().map(|w| (2, *w)));
    } else {
        // lcs[i * (m + 1) + j]: the longest common subsequence of am[i..] and bm[j..].
        let mut lcs = vec![0u32; (n + 1) * (m + 1)];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * (m + 1) + j] = if am[i] == bm[j] {
                    lcs[(i + 1) * (m + 1) + j + 1] + 1
                } else {
                    lcs[(i + 1) * (m + 1) + j].max(lcs[i * (m + 1) + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && am[i] == bm[j] {
                steps.push((0, am[i]));
                i += 1;
                j += 1;
            } else if j == m || (i < n && lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1]) {
                steps.push((1, am[i]));
                i += 1;
            } else {
                steps.push((2, bm[j]));
                j += 1;
            }
        }
    }
    steps.extend(a[a.len() - end..].iter().map(|w| (0, *w)));
    let mut out: Vec<Piece> = Vec::new();
    let mut run: Option<(u8, String)> = None;
    for (kind, word) in steps {
        match &mut run {
            Some((k, words)) if *k == kind => {
                words.push(' ');
                words.push_str(word);
            }
            _ => {
                out.extend(run.take().map(piece));
                run = Some((kind, word.to_string()));
            }
        }
    }
    out.extend(run.map(piece));
    out
}

fn piece((kind, words): (u8, String)) -> Piece {
    match kind {
        0 => Piece::Same(words),
        1 => Piece::Removed(words),
        _ => Piece::Added(words),
    }
}

/// Whether two texts have the same words in the same order (white space
/// aside): an amendment that changes nothing else changes nothing readers
/// see in the difference, and is refused.
pub fn same_words(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// The group at `slug` as `viewer` may see it; "not found" when there is
/// none or it is members-only and they are outside it (an invitation does
/// not open its purpose).
async fn visible_group(db: &Db, slug: &str, viewer: Option<&Actor>) -> Result<GroupRow> {
    let group = groups::by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    if !groups::can_see(db, &group, viewer).await? {
        return Err(CoreError::NotFound);
    }
    Ok(group)
}

/// Whether `viewer` may propose amendments to a group's purpose and object
/// to them, or the plain sentence that says who may (for the pages).
pub async fn may_take_part(db: &Db, settings: &Settings, group: &GroupRow, viewer: Option<&Actor>) -> Result<std::result::Result<(), String>> {
    let Some(actor) = viewer else {
        return Ok(Err(format!("Members of {} can propose amendments to its purpose and object to them. Sign in if you are one.", group.name)));
    };
    match ensure_can_post(actor, settings) {
        Err(CoreError::Forbidden(m)) => return Ok(Err(m)),
        Err(other) => return Err(other),
        Ok(()) => {}
    }
    if !groups::is_member(db, actor.id, group.id).await? {
        return Ok(Err(not_a_member(group)));
    }
    if let Some(at) = group.archived_at {
        return Ok(Err(groups::archived_words(&group.name, at)));
    }
    Ok(Ok(()))
}

/// Who may take part, said to someone who is not a member.
fn not_a_member(group: &GroupRow) -> String {
    let how = match group.join_policy.as_str() {
        "open" => "Join the group to take part.",
        "request" => "Ask to join the group to take part.",
        _ => "It takes members by invitation.",
    };
    format!("Only members of {} can propose amendments to its purpose and object to them; anyone who can see the group can join the conversation about an amendment. {how}", group.name)
}

/// A group's purpose page.
#[derive(Debug, Clone)]
pub struct PurposePage {
    pub group: GroupRow,
    /// The current version, and its text rendered (the safe markdown subset).
    pub current: VersionRow,
    pub current_html: String,
    /// The versions, newest first, at most [`VERSIONS_LISTED`]; whether
    /// there are older ones.
    pub versions: Vec<VersionRow>,
    pub more_versions: bool,
    /// The open amendments, the first to close first.
    pub open: Vec<AmendmentRow>,
    /// A page of the settled ones (adopted, not adopted, withdrawn,
    /// superseded), newest first, [`SETTLED_LISTED`] a page; which page
    /// (from 1), and whether there is another.
    pub settled: Vec<AmendmentRow>,
    pub settled_page: i64,
    pub more_settled: bool,
    /// Everyone who proposed a version, in the order they first did:
    /// (handle, name), at most [`SHAPERS_LISTED`].
    pub shapers: Vec<(String, String)>,
    /// Whether the viewer may propose an amendment, or who may.
    pub take_part: std::result::Result<(), String>,
}

/// The purpose page of the group at `slug`; "not found" to people who may
/// not see the group.
pub async fn page(db: &Db, settings: &Settings, slug: &str, viewer: Option<&Actor>) -> Result<PurposePage> {
    page_at(db, settings, slug, viewer, 1).await
}

/// [`page`] with page `settled_page` (from 1) of the settled amendments,
/// [`SETTLED_LISTED`] a page: every one stays reachable. A page past the
/// end comes back with none (the caller answers "no such page").
pub async fn page_at(db: &Db, settings: &Settings, slug: &str, viewer: Option<&Actor>, settled_page: i64) -> Result<PurposePage> {
    let group = visible_group(db, slug, viewer).await?;
    let mut versions = store::versions(db, group.id, VERSIONS_LISTED + 1).await?;
    let more_versions = versions.len() as i64 > VERSIONS_LISTED;
    versions.truncate(VERSIONS_LISTED as usize);
    let current = versions.first().cloned().ok_or(CoreError::NotFound)?;
    let settled_page = settled_page.max(1);
    let offset = (settled_page - 1).saturating_mul(SETTLED_LISTED);
    let mut settled = store::settled_amendments_from(db, group.id, SETTLED_LISTED + 1, offset).await?;
    let more_settled = settled.len() as i64 > SETTLED_LISTED;
    settled.truncate(SETTLED_LISTED as usize);
    Ok(PurposePage {
        settled_page,
        current_html: markdown::render(&current.text),
        current,
        versions,
        more_versions,
        open: store::open_amendments(db, group.id).await?,
        settled,
        more_settled,
        shapers: store::shapers(db, group.id, SHAPERS_LISTED).await?,
        take_part: may_take_part(db, settings, &group, viewer).await?,
        group,
    })
}

/// One version's page.
#[derive(Debug, Clone)]
pub struct VersionPage {
    pub group: GroupRow,
    pub version: VersionRow,
    pub html: String,
    /// The version before it (none for version 1), and what changed from it.
    pub previous: Option<VersionRow>,
    pub diff: Vec<Piece>,
    /// The current version's number.
    pub latest: i64,
    /// The amendment it was adopted from (none for version 1).
    pub amendment: Option<AmendmentRow>,
}

/// Version `n` of the purpose of the group at `slug`; "not found" when it
/// has no such version or the viewer may not see the group.
pub async fn version_page(db: &Db, slug: &str, n: i64, viewer: Option<&Actor>) -> Result<VersionPage> {
    let group = visible_group(db, slug, viewer).await?;
    let version = store::version(db, group.id, n).await?.ok_or(CoreError::NotFound)?;
    let previous = if n > 1 { store::version(db, group.id, n - 1).await? } else { None };
    let diff = previous.as_ref().map(|p| diff_words(&p.text, &version.text)).unwrap_or_default();
    let amendment = match version.amendment_id {
        Some(id) => store::amendment(db, id).await?,
        None => None,
    };
    Ok(VersionPage {
        html: markdown::render(&version.text),
        latest: store::current_version(db, group.id).await?,
        group,
        version,
        previous,
        diff,
        amendment,
    })
}

/// What a person submits to propose an amendment.
#[derive(Debug, Clone, Default)]
pub struct AmendForm {
    /// The whole new purpose.
    pub text: String,
    /// Why they propose it.
    pub why: String,
}

/// The group at `slug` and its current version, as `viewer` may see them
/// ("not found" when they may not see the group).
pub async fn current(db: &Db, slug: &str, viewer: Option<&Actor>) -> Result<(GroupRow, VersionRow)> {
    let group = visible_group(db, slug, viewer).await?;
    let current = store::versions(db, group.id, 1).await?.into_iter().next().ok_or(CoreError::NotFound)?;
    Ok((group, current))
}

/// [`current`], for the proposal form: only for someone who may propose (a
/// member with an active account); otherwise a refusal that says who may.
pub async fn for_amending(db: &Db, settings: &Settings, actor: &Actor, slug: &str) -> Result<(GroupRow, VersionRow)> {
    let (group, current) = current(db, slug, Some(actor)).await?;
    if let Err(why) = may_take_part(db, settings, &group, Some(actor)).await? {
        return Err(CoreError::Forbidden(why));
    }
    Ok((group, current))
}

/// Counts a proposal against the person's [`PROPOSALS`] budget; false when
/// it is spent (tell them [`PROPOSALS_MESSAGE`]).
pub async fn count_proposal(db: &Db, settings: &Settings, actor: &Actor) -> Result<bool> {
    attempts::attempt(db, &settings.secret_key, &PROPOSALS, &actor.id.to_string(), meetinghouse_store::now()).await
}

/// [`propose`] within the person's [`PROPOSALS`] budget, counting only a
/// proposal that would be taken: the attempt is counted in the proposal's
/// transaction after every check of [`propose`] passed, so a form sent back
/// with a mistake, or by someone who may not propose, uses up none of it; a
/// member who keeps sending proposals that would be taken is still limited.
/// `Ok(None)` when the budget is spent (tell them [`PROPOSALS_MESSAGE`]):
/// the attempt is counted and nothing else is written.
pub async fn propose_counted(db: &Db, mail: Mailer<'_>, actor: &Actor, slug: &str, form: &AmendForm) -> Result<Option<i64>> {
    proposing(db, mail, actor, slug, form, true).await
}

/// Proposes an amendment to the purpose of the group at `slug`; returns its
/// id. The new text is the whole purpose (at most [`limits::PURPOSE_MAX`]
/// characters, not the same words as the current version nor as another
/// open amendment's), with a reason (at most [`WHY_MAX`]). In one
/// transaction, after the group's row lock: the proposer must be a member
/// now, within [`OPEN_PER_PERSON`] and [`OPEN_PER_GROUP`]; the amendment
/// amends the current version and stays open for [`WINDOW_SECS`]; the
/// group's hosts are told, and so is every other member (by the store's one
/// rule, at most [`OPENING_TOLD_MAX`]), with when the window closes: consent
/// is silence, so nobody may be left unaware. Not the proposer, nor anyone
/// who blocked or muted them; email only as each chose.
pub async fn propose(db: &Db, mail: Mailer<'_>, actor: &Actor, slug: &str, form: &AmendForm) -> Result<i64> {
    proposing(db, mail, actor, slug, form, false).await?.ok_or_else(|| CoreError::Internal("a proposal was checked but not written".into()))
}

/// [`propose`]: its checks, then (with `counted`) the attempt counted
/// against [`PROPOSALS`] in the same transaction, then the amendment written
/// and the hosts told (`Some(id)`); `None` when the budget is spent, with
/// only the attempt committed.
async fn proposing(db: &Db, mail: Mailer<'_>, actor: &Actor, slug: &str, form: &AmendForm, counted: bool) -> Result<Option<i64>> {
    ensure_can_post(actor, mail.settings)?;
    let group = visible_group(db, slug, Some(actor)).await?;
    let mut e = FieldErrors::new();
    let new_text = text(&mut e, "text", "The new purpose", &form.text, limits::PURPOSE_MAX, true);
    let why = text(&mut e, "why", "The reason for your amendment", &form.why, WHY_MAX, true);
    e.into_result()?;
    let mut tx = db.begin().await?;
    // First, so closing the account takes turns with it.
    crate::accounts::ensure_still_open(&mut tx, actor.id).await?;
    store_groups::lock_group(&mut tx, db.backend(), group.id).await?;
    groups::ensure_open_for_changes(&mut tx, db.backend(), group.id).await?;
    if !store::takes_part_in(&mut tx, actor.id, group.id).await? {
        return Err(CoreError::Forbidden(not_a_member(&group)));
    }
    let current = store::current_version_in(&mut tx, group.id).await?;
    let purpose = store::purpose_in(&mut tx, group.id).await?.ok_or(CoreError::NotFound)?;
    if same_words(&purpose, &new_text) {
        return Err(FieldErrors::one(
            "text",
            format!("This is the purpose as it stands (version {current}). Change the words you want to amend, then send it."),
        ));
    }
    if let Some((other, _)) = store::open_texts_in(&mut tx, group.id).await?.into_iter().find(|(_, t)| same_words(t, &new_text)) {
        return Err(FieldErrors::one(
            "text",
            format!("Amendment {other} already proposes these words and is open: object to it, or talk it through in its conversation."),
        ));
    }
    let (open, theirs) = store::open_counts_in(&mut tx, group.id, actor.id).await?;
    if theirs >= OPEN_PER_PERSON {
        return Err(CoreError::Forbidden(format!(
            "You already have {OPEN_PER_PERSON} amendments open in {}: wait until one is settled, or withdraw one, before you propose another.",
            group.name
        )));
    }
    if open >= OPEN_PER_GROUP {
        return Err(CoreError::Forbidden(format!(
            "{} already has {OPEN_PER_GROUP} amendments open, the most it can weigh at once: wait until one is settled, then propose yours.",
            group.name
        )));
    }
    if counted && !attempts::attempt_in(&mut tx, &mail.settings.secret_key, &PROPOSALS, &actor.id.to_string(), meetinghouse_store::now()).await? {
        tx.commit().await.map_err(StoreError::from)?;
        return Ok(None);
    }
    let now = meetinghouse_store::now();
    let new = NewAmendment {
        group_id: group.id,
        base_version: current,
        text: &new_text,
        why: &why,
        proposed_by: actor.id,
        proposed_at: now,
        closes_at: now + WINDOW_SECS,
    };
    let id = store::insert_amendment(&mut tx, &new).await?;
    let told = format!("{} (@{}) proposed an amendment to the purpose of {}.", actor.display_name, actor.handle, group.name);
    let url = amendment_path(&group.slug, id);
    let hosts = store_groups::active_hosts(&mut tx, group.id).await?;
    for host in &hosts {
        if *host == actor.id || store_notifications::silenced(&mut tx, *host, actor.id).await? {
            continue;
        }
        notifications::notify_from(&mut tx, mail, *host, Kind::Amendment, &told, &url, Source { sender: Some(actor.id), reply: None }).await?;
    }
    let to_members = opening_words(actor, &group, new.closes_at);
    for person in store::people_taking_part_in(&mut tx, group.id, OPENING_TOLD_MAX).await? {
        if person == actor.id || hosts.contains(&person) || store_notifications::silenced(&mut tx, person, actor.id).await? {
            continue;
        }
        notifications::notify_from(&mut tx, mail, person, Kind::Amendment, &to_members, &url, Source { sender: Some(actor.id), reply: None })
            .await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Some(id))
}

/// What a member is told when an amendment to their group's purpose opens.
pub fn opening_words(proposer: &Actor, group: &GroupRow, closes_at: i64) -> String {
    format!(
        "{} (@{}) proposed an amendment to the purpose of {}. It is adopted unless a member objects before {}: read it, and object if you disagree.",
        proposer.display_name,
        proposer.handle,
        group.name,
        crate::clock::zone().datetime(closes_at)
    )
}

/// How many amendments of a group are open and when the first closes, for
/// its page ("1 amendment open until …").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenSummary {
    pub open: i64,
    pub first_closes_at: Option<i64>,
}

impl OpenSummary {
    /// "1 amendment open until 3 March 2026 at 14:05" or "2 amendments
    /// open, the first until …"; `None` with none open.
    pub fn words(&self) -> Option<String> {
        let at = crate::clock::zone().datetime(self.first_closes_at?);
        match self.open {
            0 => None,
            1 => Some(format!("1 amendment to its purpose is open until {at}")),
            n => Some(format!("{n} amendments to its purpose are open, the first until {at}")),
        }
    }
}

/// [`OpenSummary`] of a group (its page checks who may see it).
pub async fn open_summary(db: &Db, group_id: i64) -> Result<OpenSummary> {
    let (open, first_closes_at) = store::open_summary(db, group_id).await?;
    Ok(OpenSummary { open, first_closes_at })
}

/// Supersedes every open amendment of a group being archived, in the
/// archiving transaction (core `groups::archive`, after the group's row
/// lock): nobody may object while a group is archived, so no amendment may
/// run on through it and be adopted the moment it is opened again. What
/// each objection counted is recorded; its proposer and everyone who
/// objected are told (with `mail`), and may propose it again once the group
/// is open.
/// Returns how many were superseded.
pub async fn supersede_for_archive(tx: &mut Tx, db: &Db, mail: Option<Mailer<'_>>, group: &GroupRow, now: i64) -> Result<usize> {
    let mut done = 0;
    for (id, proposer) in store::open_in(tx, group.id).await? {
        if store::lock_amendment(tx, db.backend(), id).await?.is_none_or(|a| a.state != "open") {
            continue;
        }
        if !leave_open_counted(tx, id, group.id, "superseded", now).await? {
            continue;
        }
        let told = format!(
            "{} was superseded: {} was archived, and an archived group's purpose does not change. It can be proposed again if the group is opened again.",
            amendment_title(id, &group.name),
            group.name
        );
        if let Some(mail) = mail {
            tell_settled(tx, mail, group, id, proposer, &told).await?;
        }
        done += 1;
    }
    Ok(done)
}

/// Moves open amendment `id` of group `group_id` to `state` and records
/// what its objections counted then (store `record_counting`), in the
/// caller's transaction after the amendment's row lock: every way out of
/// `open` keeps that record. False, changing nothing, when it was no
/// longer open.
async fn leave_open_counted(tx: &mut Tx, id: i64, group_id: i64, state: &str, now: i64) -> Result<bool> {
    if !store::leave_open(tx, id, state, now).await? {
        return Ok(false);
    }
    store::record_counting(tx, id, group_id).await?;
    Ok(true)
}

/// Withdraws every open amendment `person` proposed, in the transaction
/// that closes their account (core `closing`): an amendment nobody can
/// withdraw any more must not be adopted by their silence. Each group's row
/// is locked, then the amendment's, the order settling takes them; what its
/// objections counted is recorded, and those whose objections stand are
/// told (if they may still see the group). Returns how many were withdrawn.
pub async fn withdraw_for_closing(tx: &mut Tx, db: &Db, mail: Mailer<'_>, person: i64, now: i64) -> Result<usize> {
    let mut done = 0;
    for (id, group_id) in store::open_by_in(tx, person).await? {
        store_groups::lock_group(tx, db.backend(), group_id).await?;
        let Some(group) = store_groups::by_id_in(tx, group_id).await? else { continue };
        if store::lock_amendment(tx, db.backend(), id).await?.is_none_or(|a| a.state != "open") {
            continue;
        }
        if !leave_open_counted(tx, id, group.id, "withdrawn", now).await? {
            continue;
        }
        let told = format!(
            "{} was withdrawn: the person who proposed it closed their account.",
            amendment_title(id, &group.name)
        );
        let url = amendment_path(&group.slug, id);
        for objector in store::objectors_in(tx, id, true).await? {
            if objector != person && told_of(tx, &group, objector).await? {
                notifications::notify(tx, mail, objector, Kind::AmendmentOutcome, &told, &url).await?;
            }
        }
        done += 1;
    }
    Ok(done)
}

/// An amendment's page.
#[derive(Debug, Clone)]
pub struct AmendmentPage {
    pub group: GroupRow,
    pub amendment: AmendmentRow,
    pub title: String,
    /// The version it amends, and what it changes in it.
    pub base: VersionRow,
    pub diff: Vec<Piece>,
    pub proposed_html: String,
    pub why_html: String,
    /// The current version's number (an open amendment on an older base
    /// will be superseded).
    pub current_version: i64,
    /// Every objection, withdrawn ones too, the first made first.
    pub objections: Vec<ObjectionRow>,
    /// The viewer's own objection, if they made one.
    pub mine: Option<ObjectionRow>,
    /// Whether the viewer proposed it.
    pub is_proposer: bool,
    /// Whether it takes objections and withdrawals now: open, and its window
    /// has not closed.
    pub window_open: bool,
    /// Whether the viewer may object (a member with an active account), or
    /// who may.
    pub take_part: std::result::Result<(), String>,
    /// Whether it was superseded because its group was archived when its
    /// window closed ([`Outcome::Archived`]), not by an adoption: no version
    /// after the one it amends had been adopted when it was settled (an
    /// adoption supersedes in its own transaction, at the same moment, and a
    /// stale base means a later version was adopted before).
    pub superseded_by_archive: bool,
    /// The viewer's id, when signed in (who may report what).
    pub viewer: Option<i64>,
}

impl AmendmentPage {
    /// The version it became, when it was adopted.
    pub fn adopted_as(&self) -> Option<i64> {
        (self.amendment.state == "adopted").then_some(self.amendment.base_version + 1)
    }

    /// What was recorded of an objection when the amendment left `open`
    /// (store `purposes::record_counting`); `None` while it is open, and for
    /// an amendment that left `open` before migration 0036 recorded it.
    fn recorded<'o>(&self, o: &'o ObjectionRow) -> Option<&'o str> {
        if self.amendment.state == "open" { None } else { o.counted_at_settling.as_deref() }
    }

    /// Whether an objection counts: once the amendment has left `open`, as
    /// recorded then; while it is open (and for an amendment settled before
    /// anything was recorded), not withdrawn and by someone who takes part
    /// in the group now.
    pub fn counts(&self, o: &ObjectionRow) -> bool {
        match self.recorded(o) {
            Some(code) => code == "counted",
            None => o.withdrawn_at.is_none() && o.author_takes_part != 0,
        }
    }

    /// How many objections stand ([`AmendmentPage::counts`]): while it is
    /// open, the ones settling would count now; once settled, the ones it
    /// counted.
    pub fn standing(&self) -> usize {
        self.objections.iter().filter(|o| self.counts(o)).count()
    }

    /// Why an objection that was not withdrawn does not count, in words for
    /// the page; `None` for one that counts or was withdrawn. It is kept,
    /// never deleted: what they said shaped the amendment.
    ///
    /// Once the amendment has left `open`, the words say what was recorded
    /// then, whatever happened since: "X was no longer a member when it was
    /// settled", or "X’s account was not active" (which never says why: a
    /// suspension is not the readers' business). While it is open they say
    /// how things stand now ("no longer counted: X is no longer a member").
    /// An amendment settled before migration 0036 has nothing recorded, and
    /// its page keeps working it out as things are now, as it always did:
    /// "no longer counted: …" when it was adopted (it could be only because
    /// no such objection counted), otherwise only the present fact ("X is no
    /// longer a member"), which may differ from how things stood then.
    pub fn not_counted(&self, o: &ObjectionRow) -> Option<String> {
        if o.withdrawn_at.is_some() {
            return None;
        }
        match self.recorded(o) {
            Some("left") => return Some(format!("not counted: {} was no longer a member when it was settled", o.display_name)),
            Some("inactive") => return Some(format!("not counted: {}’s account was not active when it was settled", o.display_name)),
            Some(_) => return None,
            None => {}
        }
        if o.author_takes_part != 0 {
            return None;
        }
        let why = if o.author_status == "active" {
            format!("{} is no longer a member", o.display_name)
        } else {
            format!("{}’s account is no longer active", o.display_name)
        };
        Some(match self.amendment.state.as_str() {
            "open" | "adopted" => format!("no longer counted: {why}"),
            _ => why,
        })
    }

    /// Whether the moderators hid the amendment's words: its reason, and its
    /// text unless it was adopted ([`AmendmentPage::text_hidden`]).
    pub fn words_hidden(&self) -> bool {
        self.amendment.hidden_at.is_some()
    }

    /// Whether its proposed text is hidden: hidden by the moderators and not
    /// adopted (an adopted text is a version of the purpose and stays).
    pub fn text_hidden(&self) -> bool {
        self.words_hidden() && self.amendment.state != "adopted"
    }

    /// Whether the moderators withdrew it by hiding its words while it was
    /// open (its proposer did not).
    pub fn withdrawn_by_moderators(&self) -> bool {
        self.amendment.state == "withdrawn" && self.amendment.hidden_at.is_some() && self.amendment.hidden_at == self.amendment.settled_at
    }

    /// Whether the viewer may report the amendment: signed in, not its
    /// proposer, and its words still shown (core `moderation::report`).
    pub fn may_report(&self) -> bool {
        self.viewer.is_some_and(|v| v != self.amendment.proposed_by) && !self.words_hidden()
    }

    /// Whether the viewer may report an objection: signed in, not its
    /// author, and its reason still shown.
    pub fn may_report_objection(&self, o: &ObjectionRow) -> bool {
        self.viewer.is_some_and(|v| v != o.person_id) && o.hidden_at.is_none()
    }
}

/// Amendment `id` of the group at `slug`; "not found" when the group has no
/// such amendment or the viewer may not see the group.
pub async fn amendment_page(db: &Db, settings: &Settings, slug: &str, id: i64, viewer: Option<&Actor>) -> Result<AmendmentPage> {
    let group = visible_group(db, slug, viewer).await?;
    let amendment = store::amendment(db, id).await?.filter(|a| a.group_id == group.id).ok_or(CoreError::NotFound)?;
    let base = store::version(db, group.id, amendment.base_version)
        .await?
        .ok_or_else(|| CoreError::Internal(format!("amendment {id} amends version {}, which is not stored", amendment.base_version)))?;
    let mut objections = store::objections(db, id).await?;
    // Its author keeps their own words (the form to change them starts with them).
    let mine = viewer.and_then(|v| objections.iter().find(|o| o.person_id == v.id).cloned());
    // Words the moderators hid never reach a page (they read them in the queue).
    for o in objections.iter_mut().filter(|o| o.hidden_at.is_some()) {
        o.reason.clear();
    }
    let mut amendment = amendment;
    let hidden = amendment.hidden_at.is_some();
    if hidden {
        amendment.why.clear();
        if amendment.state != "adopted" {
            amendment.text.clear();
        }
    }
    let superseded_by_archive = amendment.state == "superseded"
        && match store::version(db, group.id, amendment.base_version + 1).await? {
            None => true,
            Some(next) => amendment.settled_at.is_some_and(|at| next.adopted_at > at),
        };
    let text_hidden = hidden && amendment.state != "adopted";
    Ok(AmendmentPage {
        title: amendment_title(id, &group.name),
        diff: if text_hidden { Vec::new() } else { diff_words(&base.text, &amendment.text) },
        proposed_html: if text_hidden { String::new() } else { markdown::render(&amendment.text) },
        why_html: if hidden { String::new() } else { markdown::render(&amendment.why) },
        viewer: viewer.map(|v| v.id),
        current_version: store::current_version(db, group.id).await?,
        is_proposer: viewer.is_some_and(|v| v.id == amendment.proposed_by),
        window_open: amendment.state == "open" && meetinghouse_store::now() < amendment.closes_at,
        take_part: may_take_part(db, settings, &group, viewer).await?,
        superseded_by_archive,
        objections,
        mine,
        base,
        amendment,
        group,
    })
}

/// What a member submits to object.
#[derive(Debug, Clone, Default)]
pub struct ObjectionForm {
    pub reason: String,
}

/// What [`object`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objected {
    /// A first objection (its proposer is told).
    New,
    /// A standing objection's reason changed.
    Changed,
    /// A withdrawn objection stands again (its proposer is told, unless
    /// they were told of it in the last [`OBJECTION_QUIET_SECS`]).
    Again,
}

/// Loads an amendment of `group` in a transaction, locked (see store
/// `lock_amendment`): "not found" when the group has none of that id.
async fn locked(tx: &mut Tx, db: &Db, group: &GroupRow, id: i64) -> Result<AmendmentRow> {
    store::lock_amendment(tx, db.backend(), id).await?.filter(|a| a.group_id == group.id).ok_or(CoreError::NotFound)
}

/// Refuses a change to an amendment that no longer takes one: settled, or
/// its window closed (it is about to be settled as it stands).
fn ensure_open(a: &AmendmentRow, now: i64) -> Result<()> {
    if a.state != "open" {
        let when = a.settled_at.map(crate::format_date).unwrap_or_default();
        return Err(CoreError::Forbidden(format!("This amendment was {} on {when}: it takes no more changes.", state_words(&a.state))));
    }
    if now >= a.closes_at {
        return Err(CoreError::Forbidden(format!(
            "This amendment’s window closed at {}: it is being settled as it stood then.",
            crate::clock::zone().datetime(a.closes_at)
        )));
    }
    Ok(())
}

/// Objects to amendment `id` of the group at `slug`, with a reason (at most
/// [`REASON_MAX`]), or changes the reason of one's objection, or makes a
/// withdrawn one stand again. Only a member with an active account, not the
/// proposer, while the amendment is open and its window has not closed: all
/// checked in the transaction that writes, after the amendment's row lock
/// and then the shared side of the lock that removals and leavings take
/// (store `groups::lock_reach_shared`), so an objection and the removal of
/// its author's route into the group never both pass.
/// The proposer is told of a new objection (not of a changed reason; not
/// when they blocked or muted the objector, nor when they may no longer see
/// the group: [`told_of`]).
pub async fn object(db: &Db, mail: Mailer<'_>, actor: &Actor, slug: &str, id: i64, form: &ObjectionForm) -> Result<Objected> {
    ensure_can_post(actor, mail.settings)?;
    let group = visible_group(db, slug, Some(actor)).await?;
    let mut e = FieldErrors::new();
    let reason = text(&mut e, "reason", "Your reason", &form.reason, REASON_MAX, true);
    let mut tx = db.begin().await?;
    // First, so closing the account takes turns with it.
    crate::accounts::ensure_still_open(&mut tx, actor.id).await?;
    // The group's row before the amendment's, as settling takes them.
    groups::ensure_open_for_changes(&mut tx, db.backend(), group.id).await?;
    let a = locked(&mut tx, db, &group, id).await?;
    let now = meetinghouse_store::now();
    ensure_open(&a, now)?;
    if a.proposed_by == actor.id {
        return Err(CoreError::Forbidden("You proposed this amendment, so you cannot object to it. You can withdraw it instead.".into()));
    }
    // Takes turns with the removals and leavings that end a route into the
    // group (store `groups::lock_reach`), until this objection commits: one
    // that comes first is read by `takes_part_in` below, one that comes
    // after counts this objection and is refused.
    store_groups::lock_reach_shared(&mut tx, db.backend()).await?;
    if !store::takes_part_in(&mut tx, actor.id, group.id).await? {
        return Err(CoreError::Forbidden(not_a_member(&group)));
    }
    e.into_result()?;
    let before = store::objection_in(&mut tx, id, actor.id).await?;
    store::put_objection(&mut tx, id, actor.id, &reason, now).await?;
    let done = match before {
        None => Objected::New,
        Some(true) => Objected::Changed,
        Some(false) => Objected::Again,
    };
    if done != Objected::Changed
        && !store_notifications::silenced(&mut tx, a.proposed_by, actor.id).await?
        && told_of(&mut tx, &group, a.proposed_by).await?
    {
        let told = format!("{} (@{}) objected to your amendment to the purpose of {}.", actor.display_name, actor.handle, group.name);
        let url = amendment_path(&group.slug, id);
        let since = now - OBJECTION_QUIET_SECS;
        if !store_notifications::already_told_by(&mut tx, a.proposed_by, Kind::Objection.as_str(), actor.id, &url, &told, since).await? {
            notifications::notify_from(&mut tx, mail, a.proposed_by, Kind::Objection, &told, &url, Source { sender: Some(actor.id), reply: None })
                .await?;
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(done)
}

/// Withdraws one's standing objection to amendment `id` (kept, marked
/// withdrawn), while the amendment is open and its window has not closed,
/// and its group is not archived (an archived group's purpose never changes,
/// so nothing there may clear an amendment's way: it is superseded when its
/// window closes, unless the group is opened again first). Someone who left
/// the group may still withdraw theirs while they can see it (it no longer
/// counts either way).
pub async fn withdraw_objection(db: &Db, actor: &Actor, slug: &str, id: i64) -> Result<()> {
    let group = visible_group(db, slug, Some(actor)).await?;
    let mut tx = db.begin().await?;
    // The group's row before the amendment's, as settling takes them.
    groups::ensure_open_for_changes(&mut tx, db.backend(), group.id).await?;
    let a = locked(&mut tx, db, &group, id).await?;
    let now = meetinghouse_store::now();
    ensure_open(&a, now)?;
    // As [`object`]: a removal counting the objections reads this change
    // whole, before or after it.
    store_groups::lock_reach_shared(&mut tx, db.backend()).await?;
    if !store::withdraw_objection(&mut tx, id, actor.id, now).await? {
        return Err(CoreError::Forbidden("You have no objection standing to this amendment, so there is nothing to withdraw.".into()));
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Withdraws amendment `id`: only its proposer, while it is open and its
/// window has not closed (an archived group's too: withdrawing changes no
/// purpose). What each objection counted is recorded, as when one is
/// settled. Those whose objections stand are told, if they may still see
/// the group ([`told_of`]).
pub async fn withdraw(db: &Db, mail: Mailer<'_>, actor: &Actor, slug: &str, id: i64) -> Result<()> {
    let group = visible_group(db, slug, Some(actor)).await?;
    let mut tx = db.begin().await?;
    let a = locked(&mut tx, db, &group, id).await?;
    if a.proposed_by != actor.id {
        return Err(CoreError::Forbidden("Only the person who proposed an amendment can withdraw it.".into()));
    }
    let now = meetinghouse_store::now();
    ensure_open(&a, now)?;
    if !leave_open_counted(&mut tx, id, group.id, "withdrawn", now).await? {
        return Err(CoreError::Forbidden("This amendment was settled meanwhile: it takes no more changes.".into()));
    }
    let told = format!("{} (@{}) withdrew amendment {id} to the purpose of {}.", actor.display_name, actor.handle, group.name);
    let url = amendment_path(&group.slug, id);
    for person in store::objectors_in(&mut tx, id, true).await? {
        if person != actor.id && !store_notifications::silenced(&mut tx, person, actor.id).await? && told_of(&mut tx, &group, person).await? {
            notifications::notify_from(&mut tx, mail, person, Kind::AmendmentOutcome, &told, &url, Source { sender: Some(actor.id), reply: None })
                .await?;
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Settles every open amendment whose window ended at or before `now`, the
/// first to close first, each in a transaction of its own ([`settle`]);
/// returns how many this run settled. Idempotent, and safe when several app
/// servers run it at once: an amendment leaves `open` only by an update
/// that requires it to be open, so one of them settles it and the others
/// find nothing to do. One that fails to settle is left open for the next
/// run, after the others had their turn; the first failure is returned.
pub async fn settle_due(db: &Db, mail: Mailer<'_>, now: i64) -> Result<usize> {
    let mut settled = 0;
    let mut failed: Option<CoreError> = None;
    let mut failing: Vec<i64> = Vec::new();
    for _ in 0..SETTLE_ROUNDS {
        let due: Vec<i64> = store::due(db, now, SETTLE_BATCH + failing.len() as i64).await?.into_iter().filter(|id| !failing.contains(id)).collect();
        if due.is_empty() {
            break;
        }
        for id in &due {
            match settle(db, mail, *id, now).await {
                Ok(Some(_)) => settled += 1,
                Ok(None) => {}
                Err(e) => {
                    failing.push(*id);
                    failed.get_or_insert(e);
                }
            }
        }
        if (due.len() as i64) < SETTLE_BATCH {
            break;
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(settled),
    }
}

/// Settles amendment `id` if it is open and its window ended at or before
/// `now`: in one transaction, after the group's row lock and the
/// amendment's, superseded when its base is no longer the current version;
/// superseded too ([`Outcome::Archived`]) when the group is archived, since
/// an archived group's purpose never changes; not adopted when an objection
/// stands — not withdrawn, by someone who still takes part in the group (an
/// active account, a member by the store's one rule), read there; withdrawn
/// ([`Outcome::ProposerGone`]) when its proposer's account is not active,
/// and ([`Outcome::ProposerLeft`]) when they no longer take part in the
/// group, the rules objections follow; otherwise
/// adopted — a new version (with version 1 stored first if the group had
/// none stored), the group's purpose changed, and every other open amendment
/// of the group superseded. What each objection counted is recorded in the
/// same transaction (store `purposes::record_counting`, migration 0036), for
/// it and for each amendment it superseded, so the page shows how things
/// stood when it was settled, not later. Its proposer and everyone who
/// objected (withdrawn too) are told, and so are those of the amendments it
/// superseded, if they may still see the group. `None` when there was
/// nothing to settle (settled already, elsewhere too, or not due).
pub async fn settle(db: &Db, mail: Mailer<'_>, id: i64, now: i64) -> Result<Option<Outcome>> {
    let Some(first) = store::amendment(db, id).await? else { return Ok(None) };
    let mut tx = db.begin().await?;
    store_groups::lock_group(&mut tx, db.backend(), first.group_id).await?;
    // The group as it is now, with its row held: archiving waits for this
    // settling, or this settling sees the archive.
    let Some(group) = store_groups::by_id_in(&mut tx, first.group_id).await? else { return Ok(None) };
    let Some(a) = store::lock_amendment(&mut tx, db.backend(), id).await? else { return Ok(None) };
    if a.state != "open" || a.closes_at > now {
        return Ok(None);
    }
    let current = store::current_version_in(&mut tx, group.id).await?;
    let outcome = if a.base_version != current {
        Outcome::Superseded
    } else if group.archived_at.is_some() {
        Outcome::Archived
    } else if a.proposer_status != "active" {
        Outcome::ProposerGone
    } else if !store::takes_part_in(&mut tx, a.proposed_by, group.id).await? {
        Outcome::ProposerLeft
    } else if a.standing > 0 {
        Outcome::NotAdopted { standing: a.standing }
    } else {
        Outcome::Adopted { version: current + 1 }
    };
    // What was just counted is kept with it: the page shows it from now on.
    if !leave_open_counted(&mut tx, id, group.id, outcome.state(), now).await? {
        return Ok(None);
    }
    let title = amendment_title(id, &group.name);
    let told = match outcome {
        Outcome::Adopted { version } => format!("{title} was adopted: no objection stood when its window closed, so the purpose is now version {version}."),
        Outcome::NotAdopted { standing: 1 } => format!("{title} was not adopted: an objection still stood when its window closed."),
        Outcome::NotAdopted { standing } => format!("{title} was not adopted: {standing} objections still stood when its window closed."),
        Outcome::Superseded => format!("{title} was superseded: another amendment to the purpose was adopted first. It can be proposed again on the new version."),
        Outcome::Archived => format!(
            "{title} was superseded: {} was archived when its window closed, and an archived group's purpose does not change. It can be proposed again if the group is opened again.",
            group.name
        ),
        Outcome::ProposerGone => format!("{title} was withdrawn: the account of the person who proposed it is no longer active, so it cannot be adopted."),
        Outcome::ProposerLeft => format!(
            "{title} was withdrawn: the person who proposed it no longer took part in {} when its window closed, so it cannot be adopted.",
            group.name
        ),
    };
    tell_settled(&mut tx, mail, &group, id, a.proposed_by, &told).await?;
    if let Outcome::Adopted { version } = outcome {
        store::ensure_first_version(&mut tx, group.id).await?;
        store::adopt_version(&mut tx, group.id, version, &a.text, now, id, a.proposed_by).await?;
        for (other, proposer) in store::supersede_older(&mut tx, group.id, version, now).await? {
            store::record_counting(&mut tx, other, group.id).await?;
            let told = format!(
                "{} was superseded: amendment {id} was adopted first, so the purpose is now version {version}. It can be proposed again on the new version.",
                amendment_title(other, &group.name)
            );
            tell_settled(&mut tx, mail, &group, other, proposer, &told).await?;
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Some(outcome))
}

/// Hides an amendment's words, a moderator's decision (core `moderation`),
/// in the decision's transaction: after the group's row lock and the
/// amendment's (the order settling takes them), only if it is still in the
/// state, and has the text and reason, that the moderator judged (`judged`,
/// as loaded when they decided) and its words are shown; `Ok(None)`,
/// writing nothing, otherwise. An open amendment is also withdrawn in the
/// same transaction, with `settled_at` the moment its words were hidden (an
/// amendment readers cannot read cannot be adopted), what its objections
/// counted is recorded as for any amendment leaving `open`, and everyone who
/// objected (withdrawn too) and may still see the group is told, as of any
/// other outcome; its proposer is told by the decision, with the note.
/// Whether objections count is never touched. Returns `Some(true)` when it
/// was withdrawn, `Some(false)` when only its words were hidden (settled
/// already: an adopted amendment's text is a version of the purpose and
/// stays shown; only its reason is hidden).
pub(crate) async fn hide_words_in(tx: &mut Tx, db: &Db, mail: Mailer<'_>, judged: &AmendmentRow, now: i64) -> Result<Option<bool>> {
    store_groups::lock_group(tx, db.backend(), judged.group_id).await?;
    let Some(group) = store_groups::by_id_in(tx, judged.group_id).await? else { return Ok(None) };
    let Some(a) = store::lock_amendment(tx, db.backend(), judged.id).await? else { return Ok(None) };
    if a.state != judged.state || a.text != judged.text || a.why != judged.why || a.hidden_at.is_some() {
        return Ok(None);
    }
    if !store::hide_amendment(tx, a.id, &a.state, &a.text, &a.why, now).await? {
        return Ok(None);
    }
    if a.state != "open" {
        return Ok(Some(false));
    }
    if !leave_open_counted(tx, a.id, group.id, "withdrawn", now).await? {
        return Ok(None);
    }
    let told = format!(
        "{} was withdrawn: the moderators removed its words, and an amendment whose words readers cannot see cannot be adopted.",
        amendment_title(a.id, &group.name)
    );
    let url = amendment_path(&group.slug, a.id);
    for person in store::objectors_in(tx, a.id, false).await? {
        if person != a.proposed_by && told_of(tx, &group, person).await? {
            notifications::notify(tx, mail, person, Kind::AmendmentOutcome, &told, &url).await?;
        }
    }
    Ok(Some(true))
}

/// Whether `person` may be told of something about `group`'s purpose: they
/// may still see the group, by the rule conversations use before telling
/// anyone of a reply (core `groups::can_see`: public, or they belong to it
/// at any depth, or an instance admin), read in the acting transaction
/// (store `purposes::sees_group_in`). The app hides such a notification from
/// someone outside a members-only group anyway, but an "immediate" email is
/// written with it at once and would name the group, the amendment and who
/// objected.
async fn told_of(tx: &mut Tx, group: &GroupRow, person: i64) -> Result<bool> {
    Ok(store::sees_group_in(tx, person, group.id).await?)
}

/// Tells an amendment's proposer and everyone who objected to it (withdrawn
/// objections too: they shaped it), each once, what became of it: those who
/// may still see the group ([`told_of`]).
async fn tell_settled(tx: &mut Tx, mail: Mailer<'_>, group: &GroupRow, id: i64, proposer: i64, text: &str) -> Result<()> {
    let url = amendment_path(&group.slug, id);
    let mut people = vec![proposer];
    for person in store::objectors_in(tx, id, false).await? {
        if !people.contains(&person) {
            people.push(person);
        }
    }
    for person in people {
        if told_of(tx, group, person).await? {
            notifications::notify(tx, mail, person, Kind::AmendmentOutcome, text, &url).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .map(|p| match p {
                Piece::Same(w) => w.clone(),
                Piece::Removed(w) => format!("[-{w}-]"),
                Piece::Added(w) => format!("{{+{w}+}}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn words_are_compared_in_order_with_replacements_removed_first() {
        let cases = [
            ("We care for the canal.", "We care for the canal.", "We care for the canal."),
            ("We care for the canal.", "We care for the river and the canal.", "We care for the {+river and the+} canal."),
            ("We care for the old canal.", "We care for the canal.", "We care for the [-old-] canal."),
            ("We care for the canal.", "We look after the canal.", "We [-care for-] {+look after+} the canal."),
            ("", "A new purpose.", "{+A new purpose.+}"),
            ("An old purpose.", "", "[-An old purpose.-]"),
            ("a b c d", "b c d e", "[-a-] b c d {+e+}"),
            ("one  two\nthree", "one two three", "one two three"),
        ];
        for (old, new, want) in cases {
            assert_eq!(show(&diff_words(old, new)), want, "{old:?} → {new:?}");
        }
    }

    #[test]
    fn the_difference_keeps_every_word_of_both_texts() {
        let old = "the quick brown fox jumps over the lazy dog by the river";
        let new = "a quick red fox walks over the dog by the old river bank";
        let pieces = diff_words(old, new);
        let side = |keep: fn(&Piece) -> Option<&String>| pieces.iter().filter_map(keep).cloned().collect::<Vec<_>>().join(" ");
        let olds = side(|p| match p {
            Piece::Same(w) | Piece::Removed(w) => Some(w),
            Piece::Added(_) => None,
        });
        let news = side(|p| match p {
            Piece::Same(w) | Piece::Added(w) => Some(w),
            Piece::Removed(_) => None,
        });
        assert_eq!(olds, old);
        assert_eq!(news, new);
        // Shared words are the longest common run: quick fox over the dog by the river.
        let same: usize = pieces.iter().map(|p| if let Piece::Same(w) = p { w.split(' ').count() } else { 0 }).sum();
        assert_eq!(same, 8, "{}", show(&pieces));
    }

    #[test]
    fn a_pair_too_large_to_compare_is_shown_whole() {
        let old = (0..1_200).map(|i| format!("o{i}")).collect::<Vec<_>>().join(" ");
        let new = (0..1_200).map(|i| format!("n{i}")).collect::<Vec<_>>().join(" ");
        assert_eq!(diff_words(&old, &new), vec![Piece::Removed(old.clone()), Piece::Added(new.clone())]);
    }

    #[test]
    fn white_space_alone_is_no_change() {
        assert!(same_words("We care\r\nfor  it.", "We care for it."));
        assert!(!same_words("We care for it.", "We care for it!"));
    }
}

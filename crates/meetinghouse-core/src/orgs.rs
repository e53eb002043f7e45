//! Organisations: create, show, invite, accept, leave; admins remove
//! members and change their roles, never leaving the organisation without an
//! active admin. Every change to its members is logged with its other
//! changes (`org_changes`, shown on its edit page), and a member whose role
//! changes or who is removed is told.

use meetinghouse_store::{Db, StoreError, Tx, groups, orgs};

use crate::accounts::ensure_can_post;
use crate::attempts::{self, Budget};
use crate::error::{CoreError, FieldErrors, Result};
use crate::groups::account_active_in;
use crate::notifications::{self, Mailer};
use crate::settings::Settings;
use crate::types::{Handle, Slug, limits, line, parse_sector, text, website};
use crate::{Actor, markdown};

pub use meetinghouse_store::orgs::{OrgMemberRow, OrgRow};

/// Whether an organisation role lets its holder act for the organisation
/// (speak as it, host in its name): staff and admins do, members do not.
pub fn acts_for_org(role: &str) -> bool {
    role == "staff" || role == "admin"
}

/// Whether a person is active staff or an active admin of an organisation.
pub async fn is_staff(db: &Db, org: i64, person: i64) -> Result<bool> {
    Ok(orgs::membership(db, org, person).await?.is_some_and(|(role, status)| status == "active" && acts_for_org(&role)))
}

#[derive(Debug, Clone, Default)]
pub struct OrgForm {
    pub name: String,
    pub slug: String,
    pub sector: String,
    pub description: String,
    pub website: String,
    pub town: String,
}

/// An organisation's name as it is compared with the others': case and
/// accents folded as search folds them, only its letters and digits kept
/// (spaces, punctuation and invisible characters dropped), and letters that
/// look like Latin ones read as those letters ([`LOOK_ALIKES`], and
/// compatibility forms such as fullwidth “Ｍ”, mathematical “𝐌” or the
/// ligature “ﬁ” read as the letters they are written with: Unicode NFKC of
/// each letter or digit) — so “Tiverton Museum”, “tiverton  museum”,
/// “TivertonMuseum”, “Tivérton Museum.”, “Tiverton Мuseum” (a Cyrillic М)
/// and “TIVERTΟN MUSEUM” (a Greek Ο) are one name. A name of no letters or
/// digits at all is compared by its folded characters without spaces.
///
/// Look-alike letters are read word by word (a word: what stands between
/// spaces). In a word that also has Latin letters (a–z, accented or not),
/// each Greek or Cyrillic letter is read as what it looks like in the case
/// it is written in: a capital Greek “Ν” as N, a small Greek “ν” as v, a
/// small Cyrillic “м”, which looks like no Latin small letter, as itself.
/// In a word of no Latin letters (a Greek or Cyrillic word, or one written
/// to look like a Latin word) the case must not matter, as it does not for
/// any name, so each letter is read one way in both cases (the last
/// column of [`LOOK_ALIKES`]): “МУЗЕЙ” and “Музей” stay one name.
pub fn name_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut key = String::new();
    for word in name.split(char::is_whitespace) {
        // (folded, written as a capital) for each letter or digit.
        let mut letters: Vec<(char, bool)> = Vec::new();
        for c in word.chars().filter(|c| c.is_alphanumeric()) {
            for d in std::iter::once(c).nfkc() {
                let f = crate::search::fold_char(d);
                if f.is_alphanumeric() {
                    letters.push((f, d.is_uppercase()));
                }
            }
        }
        let mixed = letters.iter().any(|(f, _)| f.is_ascii_lowercase());
        key.extend(letters.iter().map(|&(f, capital)| look_alike(f, capital, mixed).unwrap_or(f)));
    }
    if key.is_empty() {
        return crate::search::fold(name).chars().filter(|c| !c.is_whitespace()).collect();
    }
    key
}

/// One row of [`LOOK_ALIKES`]: (a Greek or Cyrillic small letter, the
/// Latin letter its capital looks like, the Latin letter its small form
/// looks like, how it is read in a word of no Latin letters).
pub type LookAlike = (char, Option<char>, Option<char>, Option<char>);

/// Greek and Cyrillic letters that look like a Latin letter ([`LookAlike`]). Read in [`name_key`], after case and accents are folded (so
/// “Ё” is read as “е”, then as e).
///
/// Source and scope: written by hand from the Unicode confusables data
/// (Unicode Technical Standard #39, *Unicode Security Mechanisms*,
/// `confusables.txt`), keeping only the Greek and Cyrillic letters whose
/// shape is the Latin letter's in common serif and sans-serif fonts (Arial,
/// Helvetica, Times, the system fonts of phones): not the letters that only
/// resemble one (Cyrillic small “п” and n, Greek “ω” and w), nor letters
/// that look like digits (Cyrillic “З” and 3), nor other scripts
/// (Armenian, Cherokee), nor Latin letters among themselves (capital I and
/// small l, O and the digit 0), which would merge real names such as
/// “Mill” and “Miii” or “Studio 10” and “Studio IO”.
///
/// What it merges besides look-alikes: in a word of no Latin letters, a
/// letter stands for the Latin letter of its capital where the two cases
/// differ (Greek “η” is read as h, like “Η”, although it looks like n;
/// “ν” as n; “υ” as y), so such a word written in small letters to look
/// like a Latin word (“νο” for “vo”) is not caught; and Greek and Cyrillic
/// words whose letters are all look-alikes (Greek “ΤΟ”, Cyrillic “ТО”)
/// are one name, as they look the same. Two different words of one
/// alphabet are never merged: the last column reads no two letters of
/// one alphabet as the same Latin letter (so Cyrillic “һ” and “ү”, which
/// look like h and y as “Н” and “у” do, are read as themselves there).
pub const LOOK_ALIKES: &[LookAlike] = &[
    // Cyrillic
    ('а', Some('a'), Some('a'), Some('a')),
    ('в', Some('b'), None, Some('b')),
    ('е', Some('e'), Some('e'), Some('e')),
    ('ѕ', Some('s'), Some('s'), Some('s')),
    ('і', Some('i'), Some('i'), Some('i')),
    ('ј', Some('j'), Some('j'), Some('j')),
    ('к', Some('k'), None, Some('k')),
    ('м', Some('m'), None, Some('m')),
    ('н', Some('h'), None, Some('h')),
    ('о', Some('o'), Some('o'), Some('o')),
    ('р', Some('p'), Some('p'), Some('p')),
    ('с', Some('c'), Some('c'), Some('c')),
    ('т', Some('t'), None, Some('t')),
    ('у', Some('y'), Some('y'), Some('y')),
    ('х', Some('x'), Some('x'), Some('x')),
    ('һ', None, Some('h'), None),
    ('ү', Some('y'), Some('y'), None),
    ('ѵ', Some('v'), Some('v'), Some('v')),
    ('ԁ', None, Some('d'), Some('d')),
    ('ԛ', Some('q'), Some('q'), Some('q')),
    ('ԝ', Some('w'), Some('w'), Some('w')),
    ('ӏ', Some('i'), Some('l'), Some('l')),
    // Greek
    ('α', Some('a'), Some('a'), Some('a')),
    ('β', Some('b'), None, Some('b')),
    ('ε', Some('e'), None, Some('e')),
    ('ζ', Some('z'), None, Some('z')),
    ('η', Some('h'), Some('n'), Some('h')),
    ('ι', Some('i'), Some('i'), Some('i')),
    ('κ', Some('k'), None, Some('k')),
    ('μ', Some('m'), None, Some('m')),
    ('ν', Some('n'), Some('v'), Some('n')),
    ('ο', Some('o'), Some('o'), Some('o')),
    ('ρ', Some('p'), Some('p'), Some('p')),
    ('τ', Some('t'), None, Some('t')),
    ('υ', Some('y'), Some('u'), Some('y')),
    ('χ', Some('x'), Some('x'), Some('x')),
    ('γ', None, Some('y'), None),
    ('ϲ', Some('c'), Some('c'), Some('c')),
    ('ϳ', Some('j'), Some('j'), Some('j')),
];

/// The Latin letter a folded Greek or Cyrillic letter `f` is read as
/// ([`LOOK_ALIKES`]): as written (a capital or not) in a word with Latin
/// letters (`mixed`), one way for both cases otherwise.
fn look_alike(f: char, capital: bool, mixed: bool) -> Option<char> {
    let &(_, as_capital, as_small, in_word) = LOOK_ALIKES.iter().find(|row| row.0 == f)?;
    match (mixed, capital) {
        (true, true) => as_capital,
        (true, false) => as_small,
        (false, _) => in_word,
    }
}

/// The message when no web address could be made from a name (one written
/// in a script without a–z letters, or only of signs), so the person knows
/// why they are asked to choose one.
pub(crate) fn no_address_from(name: &str) -> String {
    format!(
        "We could not make a web address from “{name}”: an address uses only the letters a–z, digits and hyphens. \
         Please choose one, for example the name written in Latin letters."
    )
}

/// How many organisations stored before names were folded (migration 0030),
/// or before they were folded by today's rule (migration 0038), are given
/// their folded name at a time (see [`fold_stored_names`]).
const FOLD_BATCH: i64 = 500;

/// Gives the organisations whose folded name is empty — stored before
/// migration 0030, or emptied by migration 0038 to be folded again by
/// today's [`name_key`] — their folded name, in `tx` (the one that creates
/// or renames an organisation, before it compares names; nothing else reads
/// the folded name, so one not folded yet is never missed):
/// the oldest of a name keeps it; a later one of the same folded name is
/// marked with its id (`name#id`, which no folded name can equal: one has
/// either no `#` or no digits), so it is never compared and the migration never failed on
/// names already taken twice. Once done, one query that finds none.
async fn fold_stored_names(tx: &mut Tx) -> Result<()> {
    loop {
        let page = orgs::unfolded(tx, FOLD_BATCH).await?;
        for (id, name) in &page {
            let key = name_key(name);
            orgs::set_folded(tx, *id, &key, &format!("{key}#{id}")).await?;
        }
        if (page.len() as i64) < FOLD_BATCH {
            return Ok(());
        }
    }
}

/// The refusal when an organisation already has the name (folded,
/// [`name_key`]): it names that organisation and, when the name given is
/// not written exactly as its name, says that the two look the same.
fn name_taken(name: &str, other: Option<&OrgRow>) -> CoreError {
    let said = match other {
        Some(o) if o.name == name => format!("There is already an organisation called “{}” (at /orgs/{}).", o.name, o.slug),
        Some(o) => format!("There is already an organisation called “{}” (at /orgs/{}). “{name}” looks the same as its name.", o.name, o.slug),
        None => format!("There is already an organisation called “{name}”, or one whose name looks the same."),
    };
    FieldErrors::one(
        "name",
        format!(
            "{said} Names are compared without case, accents, spaces or punctuation, and letters of other alphabets that look like Latin letters count as those letters. \
             If you work there, ask one of its admins to invite you. If yours is a different organisation, add what tells them apart, such as the town."
        ),
    )
}

/// The check of an organisation's name, for [`create`] and [`edit`] alike
/// (whether another has it is checked in their transactions).
fn check_name(e: &mut FieldErrors, raw: &str) -> String {
    line(e, "name", "The name", raw, limits::NAME_MAX, true)
}

/// An organisation's details besides its name and address, checked.
struct Details {
    sector: String,
    description: String,
    website: String,
    town: String,
}

/// The checks of an organisation's sector, description, website and town,
/// for [`create`] and [`edit`] alike.
fn check_details(e: &mut FieldErrors, form: &OrgForm) -> Details {
    let sector = parse_sector(&form.sector).map_err(|_| e.add("sector", "Choose the organisation's sector.")).unwrap_or_default();
    let description = text(e, "description", "The description", &form.description, limits::DESCRIPTION_MAX, false);
    let website = website(e, "website", &form.website);
    let town = text(e, "town", "The town", &form.town, limits::TOWN_MAX, false);
    Details { sector, description, website, town }
}

/// Creates an organisation with the actor as its admin; returns its slug.
/// A name another organisation has (ignoring case, accents, spacing and
/// punctuation, and reading look-alike letters as the Latin ones:
/// [`name_key`]) is refused, so nobody can pose as it or speak
/// in an announcement voice that reads the same; checked in the transaction
/// that inserts it, and held by a unique index (two at once cannot both pass).
/// The form (`POST /orgs`) goes through [`create_counted`].
pub async fn create(db: &Db, settings: &Settings, actor: &Actor, form: &OrgForm) -> Result<String> {
    Ok(creating(db, settings, actor, form, false).await?.expect("an uncounted creation is never over a budget"))
}

/// Organisations added per account: at most 5 in any hour, counted in the
/// database (core's [`crate::attempts`]), so every app server shares one
/// budget and nobody floods the directory (or takes many names). Instance
/// admins are not counted: they set up a meeting house's organisations.
/// Only an organisation that would be created counts ([`create_counted`]).
pub const ORGS_PER_HOUR: Budget = Budget { name: "org_create", limit: 5, period_secs: 3600 };
/// What someone past [`ORGS_PER_HOUR`] is told.
pub const ORGS_PER_HOUR_MESSAGE: &str =
    "You have added many organisations in the last hour. Please wait a while and try again — what you wrote is kept below.";

/// [`create`] within the person's [`ORGS_PER_HOUR`] budget (instance admins
/// are not counted): the attempt is counted in the creating transaction
/// after every check passed, so a form sent back with a mistake (a name or
/// address taken included) uses up none of it. `Ok(None)` when the budget
/// is spent (tell them [`ORGS_PER_HOUR_MESSAGE`]): the attempt is counted
/// and nothing else is written.
pub async fn create_counted(db: &Db, settings: &Settings, actor: &Actor, form: &OrgForm) -> Result<Option<String>> {
    creating(db, settings, actor, form, !actor.is_admin).await
}

async fn creating(db: &Db, settings: &Settings, actor: &Actor, form: &OrgForm, counted: bool) -> Result<Option<String>> {
    ensure_can_post(actor, settings)?;
    if settings.orgs_admin_only && !actor.is_admin {
        return Err(CoreError::Forbidden("On this meeting house only admins can create organisations. Ask an admin to add yours.".into()));
    }
    let mut e = FieldErrors::new();
    let name = check_name(&mut e, &form.name);
    let suggested = if form.slug.trim().is_empty() { Some(Slug::suggest(&name)) } else { None };
    let slug = match &suggested {
        Some(s) if s.is_empty() && !name.trim().is_empty() => {
            e.add("slug", no_address_from(&name));
            None
        }
        Some(s) => Slug::parse(s).map_err(|m| e.add("slug", m)).ok(),
        None => Slug::parse(&form.slug).map_err(|m| e.add("slug", m)).ok(),
    };
    let details = check_details(&mut e, form);
    e.into_result()?;
    let slug = slug.unwrap();
    let Details { sector, description, website: site, town } = details;
    let folded = name_key(&name);
    let mut tx = db.begin().await?;
    fold_stored_names(&mut tx).await?;
    if let Some(other) = orgs::by_folded_name(&mut tx, &folded).await? {
        return Err(name_taken(&name, Some(&other)));
    }
    let new = orgs::NewOrg {
        slug: slug.as_str(),
        name: &name,
        name_folded: &folded,
        sector: &sector,
        description: &description,
        website: &site,
        town: &town,
    };
    // Counted in the transaction that writes the organisation: over the
    // budget, only the count is kept; a taken address rolls it back.
    if counted && !attempts::attempt_in(&mut tx, &settings.secret_key, &ORGS_PER_HOUR, &actor.id.to_string(), meetinghouse_store::now()).await? {
        tx.commit().await.map_err(StoreError::from)?;
        return Ok(None);
    }
    orgs::insert(&mut tx, &new, actor.id).await.map_err(|err| match err {
        StoreError::Conflict { what: "name" } => name_taken(&name, None),
        StoreError::Conflict { .. } => FieldErrors::one("slug", format!("The address “{}” is taken. Please choose another.", slug.as_str())),
        other => other.into(),
    })?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Some(slug.as_str().to_string()))
}

/// How many people a page of an organisation's members lists.
pub const MEMBERS_PER_PAGE: i64 = 100;
/// How many of the groups an organisation belongs to its page lists at once
/// ("More groups" for the next).
pub const GROUPS_PER_PAGE: i64 = 100;
/// How many of a person's invitations to organisations their own page lists
/// at once ("More invitations" for the next).
pub const INVITATIONS_PER_PAGE: i64 = 50;

/// An organisation page's content.
#[derive(Debug, Clone)]
pub struct OrgPage {
    pub org: OrgRow,
    pub description_html: String,
    /// One page of its people ([`MEMBERS_PER_PAGE`]), by name. Everyone sees
    /// the active members whose account is active; those who manage it (its
    /// admins, instance admins) also see invitations and people whose account
    /// is suspended or waits for approval (marked, unlinked: their profiles
    /// are not shown).
    pub members: Vec<OrgMemberRow>,
    /// Which page of members this is (from 1), and whether there is another.
    pub members_page: i64,
    pub more_members: bool,
    /// How many active admins it has, and how many of them have an active
    /// account (the last of either keeps their role: [`OrgPage::is_last_admin`]).
    pub admins: orgs::AdminCount,
    /// One page ([`GROUPS_PER_PAGE`]) of the public groups it belongs to,
    /// which page (from 1), and whether there is another.
    pub groups: Vec<groups::GroupRow>,
    pub groups_page: i64,
    pub more_groups: bool,
    /// The viewer's (role, status), if any.
    pub viewer: Option<(String, String)>,
    /// Whether the viewer manages it: an active admin, or an instance admin.
    pub viewer_manages: bool,
}

impl OrgPage {
    /// Whether a member is an admin who may not change role or be removed:
    /// the last active admin, or the last whose account is active (the rule
    /// of [`change_role`], [`remove_member`] and [`leave`]).
    pub fn is_last_admin(&self, m: &OrgMemberRow) -> bool {
        m.role == "admin" && m.status == "active" && (self.admins.admins <= 1 || (m.person_status == "active" && self.admins.active <= 1))
    }

    /// Why a person's name is not linked, in a few words ("" when it is).
    pub fn account_note(&self, m: &OrgMemberRow) -> &'static str {
        match m.person_status.as_str() {
            "active" => "",
            "pending" => "account waiting for approval",
            _ => "account suspended",
        }
    }
}

/// The organisation at an address (a slug from a URL or a form), parsed
/// first: one that cannot be an organisation's address (a NUL byte, which
/// PostgreSQL cannot hold in text; a space) names none, and is never a query.
pub async fn by_address(db: &Db, slug: &str) -> Result<Option<OrgRow>> {
    match Slug::parse(slug) {
        Ok(slug) => Ok(orgs::by_slug(db, slug.as_str()).await?),
        Err(_) => Ok(None),
    }
}

/// Loads the first page of an organisation for a viewer.
pub async fn page(db: &Db, slug: &str, viewer: Option<&Actor>) -> Result<OrgPage> {
    page_at(db, slug, viewer, 1).await
}

/// Loads page `number` (from 1) of an organisation's members for a viewer;
/// pending invitations are shown to those who manage it only.
pub async fn page_at(db: &Db, slug: &str, viewer: Option<&Actor>, number: i64) -> Result<OrgPage> {
    page_parts(db, slug, viewer, number, 1).await
}

/// Loads page `number` (from 1) of an organisation's members and page
/// `groups_page` of the groups it belongs to, for a viewer.
pub async fn page_parts(db: &Db, slug: &str, viewer: Option<&Actor>, number: i64, groups_page: i64) -> Result<OrgPage> {
    let org = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    let number = number.max(1);
    let groups_page = groups_page.max(1);
    let viewer_role = match viewer {
        Some(a) => orgs::membership(db, org.id, a.id).await?,
        None => None,
    };
    let manages = viewer.is_some_and(|a| a.is_admin) || viewer_role.as_ref().is_some_and(|(r, s)| r == "admin" && s == "active");
    let offset = (number - 1).saturating_mul(MEMBERS_PER_PAGE);
    let mut members = orgs::members(db, org.id, manages, manages, MEMBERS_PER_PAGE + 1, offset).await?;
    let more_members = members.len() as i64 > MEMBERS_PER_PAGE;
    members.truncate(MEMBERS_PER_PAGE as usize);
    let mut groups =
        groups::public_of_org(db, org.id, GROUPS_PER_PAGE + 1, (groups_page - 1).saturating_mul(GROUPS_PER_PAGE)).await?;
    let more_groups = groups.len() as i64 > GROUPS_PER_PAGE;
    groups.truncate(GROUPS_PER_PAGE as usize);
    Ok(OrgPage {
        description_html: markdown::render(&org.description),
        admins: orgs::admin_counts(db, org.id).await?,
        org,
        members,
        members_page: number,
        more_members,
        groups,
        groups_page,
        more_groups,
        viewer: viewer_role,
        viewer_manages: manages,
    })
}

/// A page (from 1, [`INVITATIONS_PER_PAGE`]) of a person's invitations to
/// organisations, with the role offered, and whether there is another.
pub async fn invitations(db: &Db, person_id: i64, page: i64) -> Result<(Vec<(OrgRow, String)>, bool)> {
    let offset = (page.max(1) - 1).saturating_mul(INVITATIONS_PER_PAGE);
    let mut rows = orgs::invitations_for(db, person_id, INVITATIONS_PER_PAGE + 1, offset).await?;
    let more = rows.len() as i64 > INVITATIONS_PER_PAGE;
    rows.truncate(INVITATIONS_PER_PAGE as usize);
    Ok((rows, more))
}

/// A role in a sentence ("an admin").
pub fn role_words(role: &str) -> &'static str {
    match role {
        "admin" => "an admin",
        "staff" => "on the staff",
        _ => "a member",
    }
}

/// Invites a person by handle to an organisation with a role, without
/// telling them (for set-ups and tests with no way to link back; the web
/// form uses [`invite_and_tell`]). Who may invite is checked in the
/// transaction that writes the invitation.
pub async fn invite(db: &Db, actor: &Actor, slug: &str, handle: &str, role: &str) -> Result<()> {
    invite_as(db, None, actor, slug, handle, role).await
}

/// Invites a person by handle to an organisation with a role, and tells
/// them in the same transaction (as [`notifications::invited`] does: not
/// again while an earlier invitation there is unread or was read lately).
/// Someone who blocked or muted the admin is not invited at all
/// ([`crate::groups::refuses_invitations_from`]): nothing is written, and
/// the admin is answered exactly as for an invitation sent. Only an active admin of
/// the organisation (or an instance admin) may: checked in that transaction,
/// after the organisation's row is locked, so an admin who was just stepped
/// down cannot.
pub async fn invite_and_tell(db: &Db, mail: Mailer<'_>, actor: &Actor, slug: &str, handle: &str, role: &str) -> Result<()> {
    invite_as(db, Some(mail), actor, slug, handle, role).await
}

async fn invite_as(db: &Db, mail: Option<Mailer<'_>>, actor: &Actor, slug: &str, handle: &str, role: &str) -> Result<()> {
    let org = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    let mut e = FieldErrors::new();
    let handle = Handle::parse(handle).map_err(|m| e.add("handle", m)).ok();
    if !ROLES.contains(&role) {
        e.add("role", "Choose admin, staff or member.");
    }
    // Looked up before the transaction (on SQLite it holds the write turn).
    let person = match &handle {
        Some(h) => meetinghouse_store::people::by_handle(db, h.as_str()).await?,
        None => None,
    };
    let mut tx = member_turn(db, &org).await?;
    require_org_admin_in(&mut tx, actor, &org).await?;
    e.into_result()?;
    let handle = handle.unwrap();
    let person = person.ok_or_else(|| FieldErrors::one("handle", format!("Nobody here has the handle @{}.", handle.as_str())))?;
    // Someone who blocked or muted the inviter is not invited at all: the
    // transaction ends with nothing written, and the inviter is answered as
    // for an invitation sent, so the block stays private.
    if orgs::membership_in(&mut tx, org.id, person.id).await?.is_none()
        && crate::groups::refuses_invitations_from(&mut tx, person.id, actor.id).await?
    {
        return Ok(());
    }
    if !orgs::invite_in(&mut tx, org.id, person.id, role, actor.id).await? {
        return Err(FieldErrors::one("handle", format!("@{} is already a member or already invited.", person.handle)));
    }
    orgs::log_member_change(&mut tx, org.id, actor.id, MEMBER_INVITED, "", role, person.id).await?;
    if let Some(mail) = mail {
        let text = format!("{} (@{}) invited you to join {} as {}.", actor.display_name, actor.handle, org.name, role_words(role));
        notifications::invited(&mut tx, mail, person.id, actor.id, &text, &format!("/orgs/{}", org.slug)).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Accepts an invitation to an organisation. Only an account that may post
/// (active, its address confirmed where the meeting house asks for that)
/// may: an invitation to be an admin is the power to speak in the
/// organisation's name.
pub async fn accept(db: &Db, actor: &Actor, slug: &str) -> Result<()> {
    let settings = Settings::load(db).await?;
    ensure_can_post(actor, &settings)?;
    let org = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    let mut tx = member_turn(db, &org).await?;
    let role = match orgs::membership_in(&mut tx, org.id, actor.id).await? {
        Some((role, status)) if status == "invited" => role,
        _ => return Err(CoreError::Forbidden(format!("You have no open invitation from {}.", org.name))),
    };
    if !orgs::accept_in(&mut tx, org.id, actor.id).await? {
        return Err(CoreError::Forbidden(format!("You have no open invitation from {}.", org.name)));
    }
    orgs::log_member_change(&mut tx, org.id, actor.id, MEMBER_JOINED, "", &role, actor.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// The `org_changes.field` of each change to an organisation's members
/// (`old_value` and `new_value` are roles; `about_person` the member).
pub const MEMBER_INVITED: &str = "member_invited";
pub const MEMBER_JOINED: &str = "member_joined";
pub const INVITATION_DECLINED: &str = "invitation_declined";
pub const MEMBER_LEFT: &str = "member_left";
pub const MEMBER_REMOVED: &str = "member_removed";
pub const INVITATION_WITHDRAWN: &str = "invitation_withdrawn";
pub const MEMBER_ROLE: &str = "member_role";

/// A change of an organisation's log in words, after who made it: "changed
/// the role of Amara (@amara) from an admin to a member". `None` for a
/// change of its details (`groups::change_words` says those).
pub fn member_change_words(c: &orgs::OrgChangeRow) -> Option<String> {
    let about = match (&c.about_name, &c.about_handle) {
        (Some(_), Some(handle)) if handle.is_empty() => crate::closing::A_FORMER_MEMBER.to_lowercase(),
        (Some(name), Some(handle)) => format!("{name} (@{handle})"),
        _ => "someone whose account is gone".to_string(),
    };
    let (old, new) = (role_words(&c.change.old_value), role_words(&c.change.new_value));
    Some(match c.change.field.as_str() {
        MEMBER_INVITED => format!("invited {about} to join as {new}"),
        MEMBER_JOINED => format!("accepted the invitation to join as {new}"),
        INVITATION_DECLINED => "declined the invitation to join".to_string(),
        MEMBER_LEFT => format!("left the organisation (was {old})"),
        MEMBER_REMOVED => format!("removed {about} (was {old})"),
        INVITATION_WITHDRAWN => format!("withdrew the invitation of {about}"),
        MEMBER_ROLE => format!("changed the role of {about} from {old} to {new}"),
        _ => return None,
    })
}

/// The roles an organisation member can hold.
pub const ROLES: [&str; 3] = ["admin", "staff", "member"];

/// Starts a change to an organisation's members: begins a transaction with
/// its membership locked, so a count of its admins taken next stays true
/// until commit.
async fn member_turn(db: &Db, org: &OrgRow) -> Result<Tx> {
    let mut tx = db.begin().await?;
    orgs::lock(&mut tx, db.backend(), org.id).await?;
    Ok(tx)
}

/// Checks, inside the transaction of [`member_turn`], that the actor is an
/// active admin of the organisation (or an instance admin).
async fn require_org_admin_in(tx: &mut Tx, actor: &Actor, org: &OrgRow) -> Result<()> {
    match orgs::membership_in(tx, org.id, actor.id).await? {
        Some((role, status)) if role == "admin" && status == "active" => Ok(()),
        _ if actor.is_admin => Ok(()),
        _ => Err(CoreError::Forbidden(format!("Only admins of {} can do that.", org.name))),
    }
}

/// Who would still run an organisation once one member's role goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AdminsAfter {
    /// Another admin whose account is active (or the member was no active
    /// admin).
    Enough,
    /// Nobody ([`last_admin`]).
    NoAdmin,
    /// Only admins whose account is not active ([`last_active_admin`]):
    /// someone suspended, banned or waiting for approval cannot sign in to
    /// manage it.
    NoActiveAdmin,
}

/// [`AdminsAfter`] taking away the role of `person_id`, whose (role,
/// status) is `current`, read in the transaction of [`member_turn`].
async fn admins_after(tx: &mut Tx, org: &OrgRow, person_id: i64, current: &(String, String)) -> Result<AdminsAfter> {
    if current.0 != "admin" || current.1 != "active" {
        return Ok(AdminsAfter::Enough);
    }
    let count = orgs::admin_count(tx, org.id).await?;
    Ok(if count.admins <= 1 {
        AdminsAfter::NoAdmin
    } else if count.active <= 1 && account_active_in(tx, person_id).await? {
        AdminsAfter::NoActiveAdmin
    } else {
        AdminsAfter::Enough
    })
}

/// The refusal, if any, for [`AdminsAfter`].
fn no_admin_left(after: AdminsAfter, org: &OrgRow, name: &str, is_actor: bool) -> Option<CoreError> {
    match after {
        AdminsAfter::Enough => None,
        AdminsAfter::NoAdmin => Some(last_admin(org, name, is_actor)),
        AdminsAfter::NoActiveAdmin => Some(last_active_admin(org, name, is_actor)),
    }
}


/// The refusal when the last active admin would go.
fn last_admin(org: &OrgRow, name: &str, is_actor: bool) -> CoreError {
    let who = if is_actor { "You are".to_string() } else { format!("{name} is") };
    CoreError::Forbidden(format!("{who} the last admin of {}: make someone else an admin first.", org.name))
}

/// The refusal when the last admin whose account is active would go.
fn last_active_admin(org: &OrgRow, name: &str, is_actor: bool) -> CoreError {
    let who = if is_actor { "You are".to_string() } else { format!("{name} is") };
    CoreError::Forbidden(format!(
        "{who} the last admin of {} whose account is active: the other admins cannot sign in to manage it (their accounts are suspended or waiting for approval). Make someone else an admin first.",
        org.name
    ))
}

/// The answer when an admin acts on someone who is not a member (never
/// was, or no longer is, or whose invitation is gone).
fn not_a_member(org: &OrgRow) -> CoreError {
    FieldErrors::one("form", format!("They are not a member of {}, nor invited to it.", org.name))
}

/// What [`leave`] did: left as a member, or declined an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Left {
    Left,
    Declined,
}

/// Leaves an organisation (or declines an invitation). The last active admin
/// may not leave, nor the last whose account is active ([`admins_after`]): the admins are counted in the transaction that removes
/// them, with the membership locked, so two admins leaving at once cannot
/// leave none. Leaving is one's own choice: an objection of theirs to an
/// amendment of a group they took part in only through the organisation
/// stops counting, as when they leave the group itself (an admin may not
/// remove them for that: [`remove_member`]).
pub async fn leave(db: &Db, actor: &Actor, slug: &str) -> Result<Left> {
    let org = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    let mut tx = member_turn(db, &org).await?;
    let Some(current) = orgs::membership_in(&mut tx, org.id, actor.id).await? else {
        return Err(CoreError::Forbidden(format!("You are not a member of {}.", org.name)));
    };
    match admins_after(&mut tx, &org, actor.id, &current).await? {
        AdminsAfter::Enough => {}
        AdminsAfter::NoAdmin => {
            return Err(CoreError::Forbidden(format!(
                "You are the last admin of {}: make someone else an admin before you leave.",
                org.name
            )));
        }
        AdminsAfter::NoActiveAdmin => return Err(last_active_admin(&org, "", true)),
    }
    // Takes turns with removals that check the objections (`removing`): a
    // removal of another route of theirs at the same moment reads this one.
    groups::lock_reach(&mut tx, db.backend()).await?;
    orgs::remove(&mut tx, org.id, actor.id).await?;
    let field = if current.1 == "invited" { INVITATION_DECLINED } else { MEMBER_LEFT };
    orgs::log_member_change(&mut tx, org.id, actor.id, field, &current.0, "", actor.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(if current.1 == "invited" { Left::Declined } else { Left::Left })
}

/// The display name of a person, for messages.
async fn person_name(db: &Db, person_id: i64) -> Result<String> {
    Ok(meetinghouse_store::people::by_id(db, person_id).await?.map(|p| p.display_name).unwrap_or_default())
}

/// An organisation admin removes a member (or withdraws an invitation). The
/// last active admin, or the last whose account is active, cannot be
/// removed. Returns the person's name. Logged;
/// nobody is told (the web form uses [`remove_member_and_tell`]).
///
/// A removal that would stop the person's objection to an open amendment
/// counting (they take part in its group only through this organisation,
/// in a group it belongs to at any depth) is refused, as `groups::remove`
/// refuses it for a group's own members: read before and after the removal,
/// in its transaction (store `orgs::counting_objections_of`). An objection
/// stops counting when its author leaves ([`leave`]: their own choice),
/// closes their account or is suspended, never because an admin removed
/// them, or an organisation's admin could push an amendment through.
pub async fn remove_member(db: &Db, actor: &Actor, slug: &str, person_id: i64) -> Result<String> {
    removing(db, None, actor, slug, person_id).await
}

/// [`remove_member`], telling a member who was removed (not someone whose
/// invitation was withdrawn), in the transaction that removes them.
pub async fn remove_member_and_tell(db: &Db, mail: Mailer<'_>, actor: &Actor, slug: &str, person_id: i64) -> Result<String> {
    removing(db, Some(mail), actor, slug, person_id).await
}

async fn removing(db: &Db, mail: Option<Mailer<'_>>, actor: &Actor, slug: &str, person_id: i64) -> Result<String> {
    let org = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    let name = person_name(db, person_id).await?;
    let mut tx = member_turn(db, &org).await?;
    require_org_admin_in(&mut tx, actor, &org).await?;
    let Some(current) = orgs::membership_in(&mut tx, org.id, person_id).await? else {
        return Err(not_a_member(&org));
    };
    if let Some(refusal) = no_admin_left(admins_after(&mut tx, &org, person_id, &current).await?, &org, &name, person_id == actor.id) {
        return Err(refusal);
    }
    // Only an active member takes part through the organisation, and taking
    // oneself out is leaving ([`leave`]): one's own choice.
    let guarded = current.1 == "active" && person_id != actor.id;
    // One change that can end a counted membership at a time (store
    // `groups::lock_reach`), before the "before" count: two removals of two
    // routes of one objector at once cannot both pass.
    groups::lock_reach(&mut tx, db.backend()).await?;
    let counting = if guarded { orgs::counting_objections_of(&mut tx, person_id).await? } else { Vec::new() };
    orgs::remove(&mut tx, org.id, person_id).await?;
    if !counting.is_empty() {
        let after = orgs::counting_objections_of(&mut tx, person_id).await?;
        if let Some((amendment, group, group_slug, closes_at)) = counting.into_iter().find(|c| !after.contains(c)) {
            let base = mail.as_ref().map_or("", |m| m.base_url.trim_end_matches('/'));
            let address = format!("{base}{}", crate::purposes::amendment_path(&group_slug, amendment));
            return Err(objection_stands(&org, &name, &group, amendment, &address, closes_at));
        }
    }
    let invited = current.1 == "invited";
    let field = if invited { INVITATION_WITHDRAWN } else { MEMBER_REMOVED };
    orgs::log_member_change(&mut tx, org.id, actor.id, field, &current.0, "", person_id).await?;
    if let Some(mail) = mail
        && !invited
        && person_id != actor.id
    {
        let text = format!("{} (@{}) removed you from {}, where you were {}.", actor.display_name, actor.handle, org.name, role_words(&current.0));
        let from = notifications::Source { sender: Some(actor.id), reply: None };
        notifications::notify_from(&mut tx, mail, person_id, notifications::Kind::Membership, &text, &format!("/orgs/{}", org.slug), from).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(name)
}

/// The refusal of a removal from `org` that would stop `name`'s objection
/// to amendment `amendment` of `group` counting: where to read the
/// amendment (`address`, the site's full address when the caller knows the
/// base URL) and when its window closes (`closes_at`), so the admin knows
/// what to wait for (the review fixC33's L5).
fn objection_stands(org: &OrgRow, name: &str, group: &str, amendment: i64, address: &str, closes_at: i64) -> CoreError {
    let closes = crate::clock::zone().datetime(closes_at);
    CoreError::Forbidden(format!(
        "{name} takes part in {group} through {}, and objects to amendment {amendment} there ({address}): their objection stands while its window is open, until {closes}, and removing them from {} would stop it counting. Wait until the amendment is settled, or until they withdraw their objection. If someone breaks the meeting house’s rules, report them to the moderators.",
        org.name, org.name
    ))
}

/// An organisation admin changes a member's (or an invitation's) role:
/// admin, staff or member. Only someone whose account is active is made an
/// admin, and the last active admin, or the last whose account is active,
/// cannot be made anything else ([`admins_after`]). Returns the person's name. Logged; nobody is told (the web form
/// uses [`change_role_and_tell`]).
pub async fn change_role(db: &Db, actor: &Actor, slug: &str, person_id: i64, role: &str) -> Result<String> {
    changing_role(db, None, actor, slug, person_id, role).await
}

/// [`change_role`], telling the member (or the person invited) of their new
/// role in the transaction that changes it, unless it is the actor's own.
pub async fn change_role_and_tell(db: &Db, mail: Mailer<'_>, actor: &Actor, slug: &str, person_id: i64, role: &str) -> Result<String> {
    changing_role(db, Some(mail), actor, slug, person_id, role).await
}

async fn changing_role(db: &Db, mail: Option<Mailer<'_>>, actor: &Actor, slug: &str, person_id: i64, role: &str) -> Result<String> {
    let org = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    if !ROLES.contains(&role) {
        // A row of the page, not the invitation's "Role" field.
        return Err(FieldErrors::one("form", "Choose admin, staff or member."));
    }
    let name = person_name(db, person_id).await?;
    let mut tx = member_turn(db, &org).await?;
    require_org_admin_in(&mut tx, actor, &org).await?;
    let Some(current) = orgs::membership_in(&mut tx, org.id, person_id).await? else {
        return Err(not_a_member(&org));
    };
    if role != "admin"
        && let Some(refusal) = no_admin_left(admins_after(&mut tx, &org, person_id, &current).await?, &org, &name, person_id == actor.id)
    {
        return Err(refusal);
    }
    if current.0 == role {
        return Ok(name);
    }
    if role == "admin" && !account_active_in(&mut tx, person_id).await? {
        return Err(FieldErrors::one(
            "form",
            format!("{name}'s account is not active, so they cannot be made an admin of {}: an admin must be able to sign in and manage it.", org.name),
        ));
    }
    orgs::set_role(&mut tx, org.id, person_id, role).await?;
    orgs::log_member_change(&mut tx, org.id, actor.id, MEMBER_ROLE, &current.0, role, person_id).await?;
    if let Some(mail) = mail
        && person_id != actor.id
    {
        let text = if current.1 == "invited" {
            format!("{} (@{}) changed your invitation to {}: you are invited as {}.", actor.display_name, actor.handle, org.name, role_words(role))
        } else {
            format!("{} (@{}) changed your role at {} from {} to {}.", actor.display_name, actor.handle, org.name, role_words(&current.0), role_words(role))
        };
        let from = notifications::Source { sender: Some(actor.id), reply: None };
        notifications::notify_from(&mut tx, mail, person_id, notifications::Kind::Membership, &text, &format!("/orgs/{}", org.slug), from).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(name)
}

/// An organisation's edit page, for its admins.
#[derive(Debug, Clone)]
pub struct EditPage {
    pub org: OrgRow,
    /// Its latest changes (`groups::CHANGES_SHOWN`), to its details and its
    /// members, newest first.
    pub changes: Vec<orgs::OrgChangeRow>,
}

/// An organisation the actor may change: its active admins (and instance
/// admins, who may manage its members too); anyone else is refused.
pub async fn for_managing(db: &Db, actor: &Actor, slug: &str) -> Result<OrgRow> {
    let org = by_address(db, slug).await?.ok_or(CoreError::NotFound)?;
    let admin = actor.is_admin || orgs::membership(db, org.id, actor.id).await?.is_some_and(|(role, status)| role == "admin" && status == "active");
    if !admin {
        return Err(CoreError::Forbidden(format!("Only admins of {} can change its details.", org.name)));
    }
    Ok(org)
}

/// Loads an organisation's edit page for one of its admins ([`for_managing`]).
pub async fn edit_page(db: &Db, actor: &Actor, slug: &str) -> Result<EditPage> {
    let org = for_managing(db, actor, slug).await?;
    Ok(EditPage { changes: orgs::changes_with_people(db, org.id, crate::groups::CHANGES_SHOWN).await?, org })
}

/// An admin changes an organisation's name, sector, description, website and
/// town (its address stays, and `form.slug` is not read); returns the fields
/// changed (none: nothing to save). Checked as when it was created; then, in
/// one transaction after its row is locked, that the actor is still an
/// active admin (or an instance admin), and that no other organisation has
/// the new name ([`name_key`], the message creation gives; a unique index
/// settles two at once). A name that folds as its stored folded name does
/// (only its case or spacing changed) is not compared again; the name of
/// one marked as a later duplicate of an older organisation's (after
/// migrations 0030 and 0038) is, however little it changes. Each change is logged
/// (`org_changes`) in that transaction.
pub async fn edit(db: &Db, settings: &Settings, actor: &Actor, slug: &str, form: &OrgForm) -> Result<Vec<&'static str>> {
    ensure_can_post(actor, settings)?;
    let org = for_managing(db, actor, slug).await?;
    let mut e = FieldErrors::new();
    let name = check_name(&mut e, &form.name);
    let details = check_details(&mut e, form);
    e.into_result()?;
    let mut tx = member_turn(db, &org).await?;
    require_org_admin_in(&mut tx, actor, &org).await?;
    let now = orgs::by_id_in(&mut tx, org.id).await?.ok_or(CoreError::NotFound)?;
    let folded = name_key(&name);
    // Compared with the folded name stored, not the old name folded now: one
    // marked as a later duplicate (`name#id`, [`fold_stored_names`]) takes
    // its name, even re-cased, only if nobody else has it.
    let renamed = name != now.name && {
        fold_stored_names(&mut tx).await?;
        orgs::folded_name_in(&mut tx, org.id).await?.as_deref() != Some(folded.as_str())
    };
    if renamed
        && let Some(other) = orgs::by_folded_name(&mut tx, &folded).await?
        && other.id != org.id
    {
        return Err(name_taken(&name, Some(&other)));
    }
    let mut changed = Vec::new();
    for (field, old, new) in [
        ("name", now.name.as_str(), name.as_str()),
        ("sector", now.sector.as_str(), details.sector.as_str()),
        ("description", now.description.as_str(), details.description.as_str()),
        ("website", now.website.as_str(), details.website.as_str()),
        ("town", now.town.as_str(), details.town.as_str()),
    ] {
        if old != new {
            orgs::log_change(&mut tx, org.id, actor.id, field, old, new).await?;
            changed.push(field);
        }
    }
    if changed.is_empty() {
        return Ok(changed);
    }
    let edit = orgs::OrgEdit {
        name: &name,
        name_folded: renamed.then_some(folded.as_str()),
        sector: &details.sector,
        description: &details.description,
        website: &details.website,
        town: &details.town,
    };
    orgs::update(&mut tx, org.id, &edit).await.map_err(|err| match err {
        StoreError::Conflict { what: "name" } => name_taken(&name, None),
        other => other.into(),
    })?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(changed)
}

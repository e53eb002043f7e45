//! Instance settings: what the admins decide for their meeting house.

use meetinghouse_store::{Db, settings as store};

use crate::error::{FieldErrors, Result};
use crate::secrets;
use crate::types::{limits, line, text};

/// Who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationMode {
    Open,
    Approval,
    Invite,
}

impl RegistrationMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationMode::Open => "open",
            RegistrationMode::Approval => "approval",
            RegistrationMode::Invite => "invite",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(RegistrationMode::Open),
            "approval" => Some(RegistrationMode::Approval),
            "invite" => Some(RegistrationMode::Invite),
            _ => None,
        }
    }
}

/// The instance's settings, with defaults for anything unset.
#[derive(Clone)]
pub struct Settings {
    pub name: String,
    pub tagline: String,
    pub about: String,
    pub code_of_conduct: String,
    pub registration: RegistrationMode,
    /// Whether a person may post before verifying their email (default yes).
    pub post_before_verify: bool,
    /// Whether only admins may create organisations (default no).
    pub orgs_admin_only: bool,
    /// Whether an organisation's first import from the browser waits for
    /// an instance admin to open its collection (default yes; core
    /// `collection::jobs::APPROVAL_SETTING`, which reads it too).
    pub collection_approval: bool,
    /// How to reach the meeting house's admins (an email address, or a few
    /// words: "the front desk at Tiverton Museum, 01884 256295"), shown on
    /// `/about` and in what a suspended or banned person is told (they
    /// cannot sign in to report or ask for a review). Empty: not set, and
    /// those messages point to the About page ([`Settings::admins_contact`]).
    pub contact: String,
    /// The key for CSRF tokens and signed links; made once, shared by all servers.
    pub secret_key: String,
    /// The conversation rules (review of first replies, pause words, public log).
    pub policy: crate::moderation::Policy,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("name", &self.name)
            .field("registration", &self.registration)
            .field("secret_key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

pub const DEFAULT_CONDUCT: &str = "\
Meetinghouse is a shared space for our town. Please:

- **Be kind.** Speak to people as you would across a table in the meeting house.
- **Be yourself.** Staff speak as themselves; organisations speak through their people.
- **Take care of each other.** No harassment, hate, threats or sharing other people's private details.
- **Get consent.** Only share photos of people who agreed, and never identify under-18s without a guardian's agreement.
- **Tell us.** If something feels wrong, report it: moderators will respond, and explain what they did.

Moderation here is restorative: we explain decisions, give people the chance to put things right, and keep a record.";

impl Settings {
    /// Reads the settings, creating the secret key on first use.
    pub async fn load(db: &Db) -> Result<Settings> {
        let all = store::all(db).await?;
        let get = |k: &str| all.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let secret_key = match get("secret_key") {
            Some(k) => k,
            None => {
                let k = secrets::random_token();
                let mut tx = db.begin().await?;
                store::put(&mut tx, "secret_key", &k).await?;
                tx.commit().await.map_err(meetinghouse_store::StoreError::from)?;
                // Another server may have raced us; whatever is stored wins.
                store::get(db, "secret_key").await?.unwrap_or(k)
            }
        };
        Ok(Settings {
            name: get("name").unwrap_or_else(|| "Meetinghouse".into()),
            tagline: get("tagline").unwrap_or_else(|| "A meeting house for our town".into()),
            about: get("about").unwrap_or_default(),
            code_of_conduct: get("code_of_conduct").unwrap_or_else(|| DEFAULT_CONDUCT.into()),
            registration: get("registration").and_then(|s| RegistrationMode::parse(&s)).unwrap_or(RegistrationMode::Open),
            post_before_verify: get("post_before_verify").map(|v| v != "false").unwrap_or(true),
            orgs_admin_only: get("orgs_admin_only").map(|v| v == "true").unwrap_or(false),
            collection_approval: get(crate::collection::jobs::APPROVAL_SETTING).is_none_or(|v| v != "off" && v != "false"),
            contact: get("contact").unwrap_or_default(),
            secret_key,
            policy: crate::moderation::Policy::from_settings(&all),
        })
    }
}

/// The longest admins' contact ([`Settings::contact`]), in characters.
pub const CONTACT_MAX: usize = 200;

impl Settings {
    /// How a person who cannot sign in (suspended or banned) reaches the
    /// admins, said to end a sentence ("write to the admins of Tiverton
    /// Meeting House: {this}."): the contact the admins set, or, when they
    /// set none, the About page at `base_url`. Never "reply to this email":
    /// the sending address may be one nobody reads.
    pub fn admins_contact(&self, base_url: &str) -> String {
        admins_contact(&self.contact, base_url)
    }
}

/// [`Settings::admins_contact`] from the stored contact (empty when not
/// set) and the site's address (empty for a page of the site itself).
pub fn admins_contact(contact: &str, base_url: &str) -> String {
    match contact.trim() {
        "" => format!("the About page ({}/about) says how to reach them", base_url.trim_end_matches('/')),
        contact => contact.to_string(),
    }
}

/// The admins' contact as stored, empty when not set (for a message made
/// without the whole settings at hand, such as the sign-in page's).
pub async fn contact(db: &Db) -> Result<String> {
    Ok(store::get(db, "contact").await?.unwrap_or_default())
}

/// What an admin submits on the settings page.
#[derive(Debug, Clone, Default)]
pub struct SettingsForm {
    pub name: String,
    pub tagline: String,
    pub about: String,
    pub code_of_conduct: String,
    pub registration: String,
    pub post_before_verify: bool,
    pub orgs_admin_only: bool,
    pub collection_approval: bool,
    /// [`Settings::contact`]: one line, at most [`CONTACT_MAX`] characters.
    pub contact: String,
}

/// Saves instance settings (admins only; the caller checks the role).
pub async fn save(db: &Db, actor: &crate::Actor, form: &SettingsForm) -> Result<()> {
    if !actor.is_admin {
        return Err(crate::CoreError::Forbidden("Only instance admins can change these settings.".into()));
    }
    let mut e = FieldErrors::new();
    // One line each: they head pages and emails.
    let name = line(&mut e, "name", "The name", &form.name, limits::NAME_MAX, true);
    let tagline = line(&mut e, "tagline", "The tagline", &form.tagline, limits::NAME_MAX * 2, false);
    let about = text(&mut e, "about", "The about text", &form.about, limits::SETTING_TEXT_MAX, false);
    let conduct = text(&mut e, "code_of_conduct", "The code of conduct", &form.code_of_conduct, limits::SETTING_TEXT_MAX, true);
    let contact = line(&mut e, "contact", "How to reach the admins", &form.contact, CONTACT_MAX, false);
    let mode = RegistrationMode::parse(&form.registration);
    if mode.is_none() {
        e.add("registration", "Choose open, approval required, or invite only.");
    }
    e.into_result()?;
    let mut tx = db.begin().await?;
    for (k, v) in [
        ("name", name.as_str()),
        ("tagline", tagline.as_str()),
        ("about", about.as_str()),
        ("code_of_conduct", conduct.as_str()),
        ("registration", mode.map(|m| m.as_str()).unwrap_or("open")),
        ("post_before_verify", if form.post_before_verify { "true" } else { "false" }),
        ("orgs_admin_only", if form.orgs_admin_only { "true" } else { "false" }),
        (crate::collection::jobs::APPROVAL_SETTING, if form.collection_approval { "on" } else { "off" }),
        ("contact", contact.as_str()),
    ] {
        store::put(&mut tx, k, v).await?;
    }
    tx.commit().await.map_err(meetinghouse_store::StoreError::from)?;
    Ok(())
}

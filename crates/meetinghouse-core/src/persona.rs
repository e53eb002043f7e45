//! Personas: who is speaking. A person speaks as themselves, as themselves at
//! an organisation they are staff of ("Sam · Tiverton Museum"), or — for org
//! admins only, and always marked — in the organisation's announcement voice.
//! Everything people write in later features is authored by a persona.

use meetinghouse_store::{Db, orgs};

use crate::error::{CoreError, Result};
use crate::types::Slug;
use crate::Actor;

/// Who a contribution is from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Voice {
    /// The person, with no organisation.
    Person,
    /// The person, at an organisation they are staff or admin of.
    Affiliated { org_id: i64, org_slug: String, org_name: String },
    /// The organisation's announcement voice (org admins only).
    Announcement { org_id: i64, org_slug: String, org_name: String },
}

/// A person plus the voice they chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Persona {
    pub person_id: i64,
    pub person_name: String,
    pub voice: Voice,
}

impl Persona {
    /// How the author is shown: "Sam", "Sam · Tiverton Museum", or
    /// "Tiverton Museum (announcement)".
    pub fn label(&self) -> String {
        match &self.voice {
            Voice::Person => self.person_name.clone(),
            Voice::Affiliated { org_name, .. } => format!("{} · {}", self.person_name, org_name),
            Voice::Announcement { org_name, .. } => format!("{org_name} (announcement)"),
        }
    }

    /// The value a form's "speak as" choice sends for this persona.
    pub fn choice_value(&self) -> String {
        match &self.voice {
            Voice::Person => "self".into(),
            Voice::Affiliated { org_slug, .. } => format!("org:{org_slug}"),
            Voice::Announcement { org_slug, .. } => format!("announce:{org_slug}"),
        }
    }
}

/// Every persona a person may use, themselves first.
pub async fn available(db: &Db, actor: &Actor) -> Result<Vec<Persona>> {
    let mut out = vec![Persona { person_id: actor.id, person_name: actor.display_name.clone(), voice: Voice::Person }];
    let memberships = orgs::of_person(db, actor.id).await?;
    for (org, role) in &memberships {
        if crate::orgs::acts_for_org(role) {
            out.push(Persona {
                person_id: actor.id,
                person_name: actor.display_name.clone(),
                voice: Voice::Affiliated { org_id: org.id, org_slug: org.slug.clone(), org_name: org.name.clone() },
            });
        }
    }
    for (org, role) in &memberships {
        if role == "admin" {
            out.push(Persona {
                person_id: actor.id,
                person_name: actor.display_name.clone(),
                voice: Voice::Announcement { org_id: org.id, org_slug: org.slug.clone(), org_name: org.name.clone() },
            });
        }
    }
    Ok(out)
}

/// Resolves a "speak as" choice (`self`, `org:SLUG`, `announce:SLUG`) to a
/// persona, refusing organisations the person is not staff (or admin) of.
pub async fn resolve(db: &Db, actor: &Actor, choice: &str) -> Result<Persona> {
    let choice = choice.trim();
    if choice.is_empty() || choice == "self" {
        return Ok(Persona { person_id: actor.id, person_name: actor.display_name.clone(), voice: Voice::Person });
    }
    let (kind, slug) = choice
        .split_once(':')
        .ok_or_else(|| crate::FieldErrors::one("speak_as", "Choose who you are speaking as."))?;
    // An address that cannot be an organisation's (a NUL byte, a space) is
    // never looked up, nor repeated back.
    let Ok(slug) = Slug::parse(slug) else {
        return Err(CoreError::Forbidden("You cannot speak for that organisation: there is no such organisation.".into()));
    };
    let org = orgs::by_slug(db, slug.as_str()).await?.ok_or_else(|| {
        CoreError::Forbidden(format!("You cannot speak for “{}”: there is no such organisation.", slug.as_str()))
    })?;
    let role = orgs::membership(db, org.id, actor.id).await?.filter(|(_, status)| status == "active").map(|(r, _)| r);
    match (kind, role.as_deref()) {
        ("org", Some("staff" | "admin")) => Ok(Persona {
            person_id: actor.id,
            person_name: actor.display_name.clone(),
            voice: Voice::Affiliated { org_id: org.id, org_slug: org.slug, org_name: org.name },
        }),
        ("announce", Some("admin")) => Ok(Persona {
            person_id: actor.id,
            person_name: actor.display_name.clone(),
            voice: Voice::Announcement { org_id: org.id, org_slug: org.slug, org_name: org.name },
        }),
        ("announce", _) => Err(CoreError::Forbidden(format!(
            "Only admins of {} can post announcements in its name.",
            org.name
        ))),
        _ => Err(CoreError::Forbidden(format!("You can only speak for {} if you are on its staff.", org.name))),
    }
}

//! Profiles: how a person presents themselves.

use meetinghouse_store::{Db, StoreError, orgs, people};

use crate::error::{CoreError, FieldErrors, Result};
use crate::settings::Settings;
use crate::types::{limits, line, parse_sector, text};
use crate::{Actor, markdown};

/// A profile ready to show.
#[derive(Debug, Clone)]
pub struct Profile {
    pub id: i64,
    pub handle: String,
    pub display_name: String,
    pub pronouns: String,
    pub bio_source: String,
    pub bio_html: String,
    pub sectors: Vec<String>,
    /// (slug, name, role) of organisations they are an active member of.
    pub orgs: Vec<(String, String, String)>,
    pub created_at: i64,
    /// Waiting for an admin's approval: only its owner and admins see it.
    pub pending: bool,
    /// The bio waits for the owner to confirm their email address (when the
    /// meeting house asks for that before posting): others do not see it.
    pub bio_waits_for_email: bool,
}

/// Dots that, with a space beside them, read as the one between a person
/// and their organisation in "Sam · Tiverton Museum".
const LABEL_DOTS: &[char] = &['·', '•', '∙', '⋅', '‧', '・', '･', '\u{0387}'];

/// Checks a display name (sign-up, profile, `admin create`): one line
/// ([`line`]: line breaks and tabs become spaces, invisible characters are
/// dropped), at most [`limits::DISPLAY_NAME_MAX`] characters, and nothing
/// that reads like the way the meeting house shows someone speaking for an
/// organisation: a dot with a space beside it ("Cal · Tiverton Museum") or
/// an ending "(announcement)". A dot between letters ("Gal·la") is fine.
pub fn display_name(errors: &mut FieldErrors, field: &'static str, label: &str, raw: &str, required: bool) -> String {
    let name = line(errors, field, label, raw, limits::DISPLAY_NAME_MAX, required);
    if errors.get(field).is_some() {
        return name;
    }
    // Joiners show nothing, so "Cal\u{200d} · x" reads as "Cal · x".
    let chars: Vec<char> = name.chars().filter(|c| !matches!(c, '\u{200C}' | '\u{200D}')).collect();
    let spaced = |i: Option<usize>| i.and_then(|i| chars.get(i)).is_none_or(|c| c.is_whitespace());
    let posing_dot = chars.iter().enumerate().any(|(i, c)| LABEL_DOTS.contains(c) && (spaced(i.checked_sub(1)) || spaced(Some(i + 1))));
    let folded: String = chars
        .iter()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' | '﹙' | '⁽' | '₍' => '(',
            '）' | '﹚' | '⁾' | '₎' => ')',
            c => *c,
        })
        .collect::<String>()
        .to_lowercase();
    if posing_dot {
        errors.add(
            field,
            format!(
                "{label} cannot have a dot with a space beside it (“ · ”): that is how the meeting house shows someone speaking for an organisation, as in “Sam · Tiverton Museum”. Leave the dot out, or use a comma or a hyphen."
            ),
        );
    } else if folded.ends_with("(announcement)") {
        errors.add(
            field,
            format!("{label} cannot end in “(announcement)”: that is how the meeting house marks an organisation's announcements."),
        );
    }
    name
}

/// The handle a profile address names, if it could be one: a handle holds
/// only a–z, 0–9 and underscores, so anything else (a NUL byte, a space) is
/// "not found" without asking the database.
fn profile_handle(raw: &str) -> Option<&str> {
    let ok = !raw.is_empty() && raw.len() <= limits::HANDLE_MAX && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    ok.then_some(raw)
}

/// A profile as `viewer` may see it. A suspended account has none; an
/// account still waiting for an admin's approval shows its profile only to
/// its owner and to admins, so a sign-up nobody approved cannot publish a
/// bio (and its links) to the town. Where posting waits for a confirmed
/// email (`post_before_verify` off), so does the bio, for the same reason.
pub async fn profile(db: &Db, settings: &Settings, viewer: Option<&Actor>, handle: &str) -> Result<Profile> {
    let handle = profile_handle(handle).ok_or(CoreError::NotFound)?;
    let p = people::by_handle(db, handle).await?.ok_or(CoreError::NotFound)?;
    let owner_or_admin = viewer.is_some_and(|v| v.id == p.id || v.is_admin);
    let may_see = match p.status.as_str() {
        "suspended" => false,
        "pending" => owner_or_admin,
        _ => true,
    };
    if !may_see {
        return Err(CoreError::NotFound);
    }
    let sectors = people::sectors(db, p.id).await?;
    let orgs = orgs::of_person(db, p.id)
        .await?
        .into_iter()
        .map(|(o, role)| (o.slug, o.name, role))
        .collect();
    let bio_waits_for_email = p.email_verified_at.is_none() && !settings.post_before_verify;
    let bio = if bio_waits_for_email && !owner_or_admin { String::new() } else { p.bio };
    Ok(Profile {
        id: p.id,
        handle: p.handle,
        display_name: p.display_name,
        pronouns: p.pronouns,
        bio_html: markdown::render(&bio),
        bio_source: bio,
        sectors,
        orgs,
        created_at: p.created_at,
        pending: p.status == "pending",
        bio_waits_for_email,
    })
}

/// What a person submits when editing their profile.
#[derive(Debug, Clone, Default)]
pub struct ProfileForm {
    pub display_name: String,
    pub pronouns: String,
    pub bio: String,
    pub sectors: Vec<String>,
}

pub async fn update_profile(db: &Db, actor: &Actor, form: &ProfileForm) -> Result<()> {
    let mut e = FieldErrors::new();
    let display_name = display_name(&mut e, "display_name", "Your name", &form.display_name, true);
    let pronouns = line(&mut e, "pronouns", "Pronouns", &form.pronouns, limits::PRONOUNS_MAX, false);
    let bio = text(&mut e, "bio", "Your bio", &form.bio, limits::BIO_MAX, false);
    let mut sectors = Vec::new();
    for s in &form.sectors {
        match parse_sector(s) {
            Ok(s) if !sectors.contains(&s) => sectors.push(s),
            Ok(_) => {}
            Err(m) => e.add("sectors", m),
        }
    }
    e.into_result()?;
    let mut tx = db.begin().await?;
    let update = people::ProfileUpdate { display_name: &display_name, pronouns: &pronouns, bio: &bio, sectors: &sectors };
    people::update_profile(&mut tx, actor.id, &update).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

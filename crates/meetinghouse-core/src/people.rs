//! Profiles: how a person presents themselves.

use meetinghouse_store::{Db, StoreError, orgs, people};

use crate::error::{CoreError, FieldErrors, Result};
use crate::settings::Settings;
use crate::types::{is_blank, is_invisible, is_zero_width, limits, line, parse_sector, text};
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
///
/// Scope: every character that shows as one small filled dot at the middle
/// of the line, from the size of the middle dot to that of a bullet,
/// whatever its script or purpose (written by hand from the Unicode
/// character names and the confusables of U+00B7 in Unicode Technical
/// Standard #39): the middle dot U+00B7, Greek ano teleia U+0387, runic
/// single punctuation U+16EB, Canadian syllabics final middle dot U+1427,
/// the bullet U+2022, hyphenation point U+2027, bullet operator U+2219, dot
/// operator U+22C5, black circle U+25CF, Z notation spot U+2981, word
/// separator middle dot U+2E31, raised dot U+2E33, katakana middle dot
/// U+30FB and its halfwidth form U+FF65, Hangul letter araea U+318D, Latin
/// letter sinological dot U+A78F, Aegean word separator dot U+10101 and
/// black slightly small circle U+1F784. Not hollow rings (◦, ∘), dots on
/// the baseline (the full stop, the one dot leader “․”), dots above the
/// line (the Tibetan tsheg) nor large circles and emoji (⬤, ⚫), which do not
/// read as that dot.
const LABEL_DOTS: &[char] = &[
    '\u{00B7}', '\u{0387}', '\u{16EB}', '\u{1427}', '\u{2022}', '\u{2027}', '\u{2219}', '\u{22C5}', '\u{25CF}', '\u{2981}', '\u{2E31}', '\u{2E33}',
    '\u{30FB}', '\u{318D}', '\u{A78F}', '\u{FF65}', '\u{10101}', '\u{1F784}',
];

/// How an organisation's announcements are marked after its name; a
/// person's name may not end in it, however it is written ([`latin_look`]).
const ANNOUNCEMENT_MARK: &str = "(announcement)";

/// Letters of other alphabets (and Latin small capitals, and the digit
/// zero) that look like the Latin letters of [`ANNOUNCEMENT_MARK`] (a, c,
/// e, m, n, o, t, u), as (the character, the Latin letter it reads as).
/// Read before case is folded, so a capital reads as the capital it looks
/// like (Greek “Μ” as M) and a small letter as the small one (Greek “μ”
/// as u). Written by hand from Unicode's confusables data (UTS #39) for
/// these eight letters only, keeping Cyrillic, Greek, Armenian and Coptic
/// letters whose shape is the Latin letter's in common fonts, and a few
/// that only resemble it (Cyrillic “п” and Greek “η” for n): it is used
/// only to read the end of a name as that mark, which no honest name
/// imitates, so a loose match costs nothing. (Core's `orgs::LOOK_ALIKES`
/// is a wider table of the same kind for organisation names, kept strict
/// because it decides which names are one; the two could share one list.)
const MARK_LOOK_ALIKES: &[(char, char)] = &[
    // Capitals, read as capitals.
    ('\u{0410}', 'A'), // Cyrillic А
    ('\u{0391}', 'A'), // Greek Α
    ('\u{0421}', 'C'), // Cyrillic С
    ('\u{03F9}', 'C'), // Greek lunate sigma Ϲ
    ('\u{2CA4}', 'C'), // Coptic Ⲥ
    ('\u{0415}', 'E'), // Cyrillic Е
    ('\u{0395}', 'E'), // Greek Ε
    ('\u{041C}', 'M'), // Cyrillic М
    ('\u{039C}', 'M'), // Greek Μ
    ('\u{039D}', 'N'), // Greek Ν
    ('\u{041E}', 'O'), // Cyrillic О
    ('\u{039F}', 'O'), // Greek Ο
    ('\u{0555}', 'O'), // Armenian Օ
    ('\u{2C9E}', 'O'), // Coptic Ⲟ
    ('0', 'O'),
    ('\u{0422}', 'T'), // Cyrillic Т
    ('\u{03A4}', 'T'), // Greek Τ
    ('\u{054D}', 'U'), // Armenian Ս
    // Small letters.
    ('\u{0430}', 'a'), // Cyrillic а
    ('\u{03B1}', 'a'), // Greek α
    ('\u{0251}', 'a'), // Latin alpha ɑ
    ('\u{0441}', 'c'), // Cyrillic с
    ('\u{03F2}', 'c'), // Greek lunate sigma ϲ
    ('\u{1D04}', 'c'), // Latin small capital ᴄ
    ('\u{2CA5}', 'c'), // Coptic ⲥ
    ('\u{0435}', 'e'), // Cyrillic е
    ('\u{04BD}', 'e'), // Cyrillic abkhasian che ҽ
    ('\u{1D07}', 'e'), // Latin small capital ᴇ
    ('\u{043C}', 'm'), // Cyrillic м
    ('\u{1D0D}', 'm'), // Latin small capital ᴍ
    ('\u{0578}', 'n'), // Armenian ո
    ('\u{057C}', 'n'), // Armenian ռ
    ('\u{03B7}', 'n'), // Greek η
    ('\u{043F}', 'n'), // Cyrillic п
    ('\u{0274}', 'n'), // Latin small capital ɴ
    ('\u{043E}', 'o'), // Cyrillic о
    ('\u{03BF}', 'o'), // Greek ο
    ('\u{03C3}', 'o'), // Greek σ
    ('\u{0585}', 'o'), // Armenian օ
    ('\u{1D0F}', 'o'), // Latin small capital ᴏ
    ('\u{2C9F}', 'o'), // Coptic ⲟ
    ('\u{0442}', 't'), // Cyrillic т
    ('\u{03C4}', 't'), // Greek τ
    ('\u{1D1B}', 't'), // Latin small capital ᴛ
    ('\u{057D}', 'u'), // Armenian ս
    ('\u{03C5}', 'u'), // Greek υ
    ('\u{03BC}', 'u'), // Greek μ
    ('\u{028B}', 'u'), // Latin ʋ
    ('\u{1D1C}', 'u'), // Latin small capital ᴜ
];

/// Brackets that look like “(” and “)”.
fn latin_bracket(c: char) -> Option<char> {
    match c {
        '（' | '﹙' | '⁽' | '₍' | '❨' | '❪' | '﴾' => Some('('),
        '）' | '﹚' | '⁾' | '₎' | '❩' | '❫' | '﴿' => Some(')'),
        _ => None,
    }
}

/// A name as it reads for [`ANNOUNCEMENT_MARK`]: without anything that
/// shows as a space or as nothing ([`is_blank`]); compatibility forms as
/// the letters they are written with (fullwidth “ａ”, mathematical “𝐚”:
/// Unicode NFKD) and without accents (combining marks); look-alike letters
/// ([`MARK_LOOK_ALIKES`]) and brackets as the Latin ones; small letters;
/// and “rn”, which looks like “m” in many fonts, as “m”.
fn latin_look(name: &str) -> String {
    use unicode_normalization::char::{decompose_compatible, is_combining_mark};
    let mut out = String::new();
    for c in name.chars().filter(|&c| !is_blank(c)) {
        decompose_compatible(c, |d| {
            if is_combining_mark(d) || is_blank(d) {
                return;
            }
            let d = latin_bracket(d).or_else(|| MARK_LOOK_ALIKES.iter().find(|(l, _)| *l == d).map(|(_, latin)| *latin)).unwrap_or(d);
            out.extend(d.to_lowercase());
        });
    }
    out.replace("rn", "m")
}

/// Checks a display name (sign-up, profile, `admin create`): one line
/// ([`line`]: line breaks and tabs become spaces, invisible characters are
/// dropped), at most [`limits::DISPLAY_NAME_MAX`] characters, and nothing
/// that reads like the way the meeting house shows someone speaking for an
/// organisation: a dot ([`LABEL_DOTS`]) with a space beside it (“Cal ·
/// Tiverton Museum”; a blank filler such as the Braille blank counts as a
/// space, and zero-width characters are looked through) or an ending
/// “(announcement)”, however it is spaced or spelt with look-alike letters
/// ([`latin_look`]). A dot between letters (“Gal·la”) is fine. Only checked
/// when a name is set: a name stored before a rule was widened stays until
/// its owner changes it.
pub fn display_name(errors: &mut FieldErrors, field: &'static str, label: &str, raw: &str, required: bool) -> String {
    let name = line(errors, field, label, raw, limits::DISPLAY_NAME_MAX, required);
    if errors.get(field).is_some() {
        return name;
    }
    // Zero-width characters show nothing, so "Cal\u{200d} · x" reads as "Cal · x".
    let chars: Vec<char> = name.chars().filter(|&c| !is_zero_width(c) && !is_invisible(c)).collect();
    let spaced = |i: Option<usize>| i.and_then(|i| chars.get(i)).is_none_or(|&c| is_blank(c));
    let posing_dot = chars.iter().enumerate().any(|(i, c)| LABEL_DOTS.contains(c) && (spaced(i.checked_sub(1)) || spaced(Some(i + 1))));
    if posing_dot {
        errors.add(
            field,
            format!(
                "{label} cannot have a dot with a space beside it (“ · ”): that is how the meeting house shows someone speaking for an organisation, as in “Sam · Tiverton Museum”. Leave the dot out, or use a comma or a hyphen."
            ),
        );
    } else if latin_look(&name).ends_with(ANNOUNCEMENT_MARK) {
        errors.add(
            field,
            format!("{label} cannot end in “(announcement)”: that is how the meeting house marks an organisation's announcements."),
        );
    } else if poses_as_former_member(&name) {
        errors.add(
            field,
            format!(
                "{label} cannot be “{}”: that is how the meeting house shows someone whose account was closed. Choose another name.",
                crate::closing::FORMER_MEMBER
            ),
        );
    }
    name
}

/// Whether a name reads as the one closed accounts go by,
/// [`crate::closing::FORMER_MEMBER`] or [`crate::closing::A_FORMER_MEMBER`]:
/// compared by its letters alone, case and accents folded, with the
/// look-alike letters of both tables read as Latin ones (organisation
/// names' [`crate::orgs::name_key`], and [`latin_look`]), so “former
/// MEMBER”, “Former-member.” or one with a Cyrillic “е” is that name too.
fn poses_as_former_member(name: &str) -> bool {
    let reserved = [crate::closing::FORMER_MEMBER, crate::closing::A_FORMER_MEMBER];
    let letters = |n: &str| latin_look(n).chars().filter(|c| c.is_alphanumeric()).collect::<String>();
    reserved.iter().any(|r| crate::orgs::name_key(name) == crate::orgs::name_key(r) || letters(name) == letters(r))
}

/// The handle a profile address names, if it could be one: a handle holds
/// only a–z, 0–9 and underscores, so anything else (a NUL byte, a space) is
/// "not found" without asking the database.
fn profile_handle(raw: &str) -> Option<&str> {
    let ok = !raw.is_empty() && raw.len() <= limits::HANDLE_MAX && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    ok.then_some(raw)
}

/// The person a profile address names, when `viewer` may see their
/// profile ([`profile`]'s rule): a suspended account is "not found" to
/// everyone, one waiting for approval to all but its owner and admins.
/// Whatever acts on a person by their address (blocking, muting) looks
/// them up here, so it answers "not found" exactly when the profile does.
pub(crate) async fn visible_person(db: &Db, viewer: Option<&Actor>, handle: &str) -> Result<people::PersonRow> {
    let handle = profile_handle(handle).ok_or(CoreError::NotFound)?;
    let p = people::by_handle(db, handle).await?.ok_or(CoreError::NotFound)?;
    let owner_or_admin = viewer.is_some_and(|v| v.id == p.id || v.is_admin);
    let may_see = match p.status.as_str() {
        "suspended" => false,
        "pending" => owner_or_admin,
        _ => true,
    };
    if may_see { Ok(p) } else { Err(CoreError::NotFound) }
}

/// A profile as `viewer` may see it. A suspended account has none; an
/// account still waiting for an admin's approval shows its profile only to
/// its owner and to admins, so a sign-up nobody approved cannot publish a
/// bio (and its links) to the town. Where posting waits for a confirmed
/// email (`post_before_verify` off), so does the bio, for the same reason.
pub async fn profile(db: &Db, settings: &Settings, viewer: Option<&Actor>, handle: &str) -> Result<Profile> {
    let p = visible_person(db, viewer, handle).await?;
    let owner_or_admin = viewer.is_some_and(|v| v.id == p.id || v.is_admin);
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

/// The most people one page of [`blocked_and_muted`] lists.
pub const RELATIONS_PAGE: i64 = 100;

/// Someone the person blocked or muted, as their own list shows them.
pub use meetinghouse_store::people::Related;

/// The people `actor` blocked or muted, by handle, a page of
/// [`RELATIONS_PAGE`] after the handle `after` ('' from the start), and
/// whether there are more. Only active accounts are listed (store
/// `people::relations_of`): a closed, suspended or waiting one has no
/// profile to undo a block from, and its block stays as it is.
pub async fn blocked_and_muted(db: &Db, actor: &Actor, after: &str) -> Result<(Vec<Related>, bool)> {
    let after = profile_handle(after.trim()).map(str::to_lowercase).unwrap_or_default();
    let mut rows = people::relations_of(db, actor.id, &after, RELATIONS_PAGE + 1).await?;
    let more = rows.len() as i64 > RELATIONS_PAGE;
    rows.truncate(RELATIONS_PAGE as usize);
    Ok((rows, more))
}

/// How long an account may wait for an admin's approval (approval mode):
/// after 90 days the hourly purge erases it, as if it had been declined
/// (core `retention`), so the name, address and bio of a sign-up nobody
/// approves are not kept for ever.
pub const WAITING_KEEP_SECS: i64 = 90 * 24 * 3600;

/// The outbox kind of the email telling a person their sign-up was declined.
pub const DECLINED_KIND: &str = "declined";

/// An admin declines an account waiting for approval: it is erased (its
/// row, sessions, email links and settings, and the notices that told the
/// admins it was waiting), and, when its address was confirmed, the person
/// is emailed that it was not approved, in the same transaction (an
/// unconfirmed address may not be theirs, so it gets nothing). Returns the
/// handle it had. An account no longer waiting (approved meanwhile) is
/// refused with plain words and nothing changes.
pub async fn decline(db: &Db, mail: crate::notifications::Mailer<'_>, actor: &Actor, person_id: i64) -> Result<String> {
    if !actor.is_admin {
        return Err(CoreError::Forbidden("Only admins can decline accounts.".into()));
    }
    let mut tx = db.begin().await?;
    let Some((email, handle, confirmed)) = meetinghouse_store::purge::waiting_account(&mut tx, person_id).await? else {
        drop(tx);
        return match people::by_id(db, person_id).await? {
            None => Err(CoreError::NotFound),
            Some(p) => Err(CoreError::Forbidden(format!(
                "@{} is not waiting for approval any more (the account is {}), so nothing was changed.",
                p.handle, p.status
            ))),
        };
    };
    if confirmed {
        let body = format!(
            "Your sign-up on {name} (@{handle}) was not approved, so the account has been erased: \
             your name, email address and anything else you gave are no longer kept.\n\n\
             If you think this is a mistake, you can contact the meeting house's admins.\n",
            name = mail.settings.name,
        );
        let subject = format!("Your {} sign-up was not approved", mail.settings.name);
        meetinghouse_store::outbox::enqueue(&mut tx, &email, &subject, &body, DECLINED_KIND).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(person_id, admin = actor.id, emailed = confirmed, "waiting account declined and erased");
    Ok(handle)
}

/// Erases the accounts that waited for approval longer than
/// [`WAITING_KEEP_SECS`] before `now`, a batch at a time, each in its own
/// transaction (nobody is emailed: the purge has no mailer, and the person
/// was told on signing up that an admin had to approve the account).
/// Returns how many.
pub(crate) async fn purge_waiting(db: &Db, now: i64) -> Result<u64> {
    const BATCH: i64 = 500;
    let mut total = 0;
    loop {
        let ids = meetinghouse_store::purge::waiting_before(db, now - WAITING_KEEP_SECS, BATCH).await?;
        for id in &ids {
            let mut tx = db.begin().await?;
            if meetinghouse_store::purge::waiting_account(&mut tx, *id).await?.is_some() {
                tx.commit().await.map_err(StoreError::from)?;
                total += 1;
            }
        }
        if (ids.len() as i64) < BATCH {
            return Ok(total);
        }
    }
}

/// Ends one of the person's other sessions, named by the key their
/// sessions page shows (store `sessions::SessionRow::key`), leaving the one
/// asking (`keep`, its token) and every other as they are; false when there
/// is no such other session (ended already). A key that is not one a page
/// shows is refused as "not found".
pub async fn end_session(db: &Db, actor: &Actor, keep: &str, key: &str) -> Result<bool> {
    use meetinghouse_store::sessions;
    if key.len() != sessions::KEY_LEN || !key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(CoreError::NotFound);
    }
    let ended = sessions::delete_other_by_key(db, actor.id, key, &crate::secrets::token_hash(keep)).await?;
    tracing::info!(person_id = actor.id, ended, "one other session ended");
    Ok(ended)
}

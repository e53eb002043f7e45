//! What a conversation is about. A subject is a kind and an id; adding a kind
//! (events, calls to action, amendments to a purpose) is a variant here, an
//! arm in [`resolve`], and one in the SQL that reads whether a subject is
//! seen by kind (store `notifications::shown!`, `interactions::public_edges`),
//! with no migration: replies, reports and interactions all refer to
//! subjects as `(subject_kind, subject_id)`.

use meetinghouse_store::groups::{self as store_groups, MemberKind};
use meetinghouse_store::{Db, orgs, prompts, stories};

use crate::error::{CoreError, Result};
use crate::{Actor, groups};

/// Something people can talk about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Story(i64),
    /// A collection object.
    Object(i64),
    Prompt(i64),
    /// A group's general discussion.
    Group(i64),
    /// An organisation's page.
    Org(i64),
    /// An amendment to a group's purpose (its discussion).
    Amendment(i64),
}

impl Subject {
    pub fn parse(kind: &str, id: i64) -> Option<Subject> {
        Some(match kind {
            "story" => Subject::Story(id),
            "object" => Subject::Object(id),
            "prompt" => Subject::Prompt(id),
            "group" => Subject::Group(id),
            "org" => Subject::Org(id),
            "amendment" => Subject::Amendment(id),
            _ => return None,
        })
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Subject::Story(_) => "story",
            Subject::Object(_) => "object",
            Subject::Prompt(_) => "prompt",
            Subject::Group(_) => "group",
            Subject::Org(_) => "org",
            Subject::Amendment(_) => "amendment",
        }
    }

    pub fn id(&self) -> i64 {
        match *self {
            Subject::Story(id) | Subject::Object(id) | Subject::Prompt(id) | Subject::Group(id) | Subject::Org(id) | Subject::Amendment(id) => id,
        }
    }
}

/// What the platform knows about a subject: how to show and link it, whether
/// the public may see it, who owns it and who hosts it.
#[derive(Debug, Clone)]
pub struct SubjectInfo {
    pub subject: Subject,
    pub title: String,
    pub url: String,
    /// Whether everyone may see it (public content is exported; the rest is not).
    pub public: bool,
    /// The person who contributed it (a story's author; a prompt's opener
    /// while they still host it).
    pub owner_person: Option<i64>,
    /// The organisation it was contributed as, or the organisation it is.
    pub owner_org: Option<i64>,
    /// The group it belongs to: that group's hosts moderate it.
    pub group_id: Option<i64>,
    /// Organisations whose staff and admins host it.
    pub host_orgs: Vec<i64>,
    /// Groups whose hosts host it.
    pub host_groups: Vec<i64>,
    /// People who host it directly (a prompt's hosts besides its group's:
    /// its organisation's admins, and its opener while they still hold the
    /// role that let them open it).
    pub host_people: Vec<i64>,
    /// Why it takes no new replies, edits or thanks, when it takes none of
    /// its own accord (a collection object withdrawn from its collection);
    /// its replies stay to read. An archived group's are its own check
    /// (`conversations::archived`).
    pub closed: Option<String>,
}

/// Loads a subject as the viewer may see it; "not found" when they may not.
pub async fn resolve(db: &Db, subject: Subject, viewer: Option<&Actor>) -> Result<SubjectInfo> {
    let base = |title: String, url: String| SubjectInfo {
        subject,
        title,
        url,
        public: true,
        owner_person: None,
        owner_org: None,
        group_id: None,
        host_orgs: Vec::new(),
        host_groups: Vec::new(),
        host_people: Vec::new(),
        closed: None,
    };
    match subject {
        Subject::Story(id) => {
            let s = stories::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
            if s.deleted_at.is_some() || !crate::stories::can_see(db, &s, viewer).await? {
                return Err(CoreError::NotFound);
            }
            let mut info = base(s.title.clone(), format!("/stories/{id}"));
            info.public = s.visibility == "public";
            info.owner_person = Some(s.author_person);
            info.owner_org = s.author_org;
            info.group_id = s.group_id;
            info.host_orgs.extend(s.author_org);
            info.host_groups.extend(s.group_id);
            // A story answering a prompt is also hosted by the prompt's hosts
            // (`prompts::hosted_by`): its group's hosts, and the people
            // store `prompts::hosts` names (its organisation's admins, its
            // opener while they still hold their role).
            if let Some(p) = match s.prompt_id {
                Some(pid) => prompts::by_id(db, pid).await?,
                None => None,
            } {
                for person in prompts::hosts(db, p.id).await? {
                    if !info.host_people.contains(&person) {
                        info.host_people.push(person);
                    }
                }
                info.host_groups.extend(p.group_id);
            }
            Ok(info)
        }
        Subject::Prompt(id) => {
            // Seen as its page is: a members-only group's prompt is "not
            // found" to people outside the group.
            let p = prompts::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
            if let Some(gid) = p.group_id {
                groups::ensure_visible(db, gid, viewer).await?;
            }
            let mut info = base(p.question.clone(), format!("/prompts/{id}"));
            if let Some(gid) = p.group_id {
                info.public = store_groups::by_id(db, gid).await?.is_some_and(|g| g.visibility == "public");
            }
            // Its hosts by `prompts::hosted_by`: its group's hosts, and the
            // people store `prompts::hosts` names. The person who opened it
            // owns it (is answered, and told of replies) only while they
            // still host it; after that a reply reaches its current hosts.
            info.host_people = prompts::hosts(db, id).await?;
            info.owner_person = info.host_people.contains(&p.host_person).then_some(p.host_person);
            info.owner_org = p.host_org;
            info.group_id = p.group_id;
            info.host_groups.extend(p.group_id);
            Ok(info)
        }
        Subject::Group(id) => {
            let g = store_groups::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
            // A members-only group is "not found" to people outside it (one
            // look at the viewer's groups, not the group's members).
            if !groups::can_see(db, &g, viewer).await? {
                return Err(CoreError::NotFound);
            }
            let mut info = base(g.name.clone(), format!("/groups/{}", g.slug));
            info.public = g.visibility == "public";
            info.group_id = Some(id);
            info.host_groups.push(id);
            Ok(info)
        }
        Subject::Amendment(id) => {
            // Seen as its group is: an amendment to a members-only group's
            // purpose is "not found" to people outside the group. Its
            // proposer owns it (is told of replies); the group's hosts host
            // it (they moderate its conversation).
            let a = meetinghouse_store::purposes::amendment(db, id).await?.ok_or(CoreError::NotFound)?;
            let g = store_groups::by_id(db, a.group_id).await?.ok_or(CoreError::NotFound)?;
            if !groups::can_see(db, &g, viewer).await? {
                return Err(CoreError::NotFound);
            }
            let mut info = base(crate::purposes::amendment_title(id, &g.name), crate::purposes::amendment_path(&g.slug, id));
            info.public = g.visibility == "public";
            info.owner_person = Some(a.proposed_by);
            info.group_id = Some(g.id);
            info.host_groups.push(g.id);
            Ok(info)
        }
        Subject::Org(id) => {
            let o = orgs::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
            let mut info = base(o.name.clone(), format!("/orgs/{}", o.slug));
            info.owner_org = Some(id);
            info.host_orgs.push(id);
            Ok(info)
        }
        Subject::Object(id) => {
            let o = meetinghouse_store::objects::by_id(db, id).await?.ok_or(CoreError::NotFound)?;
            let org = orgs::by_id(db, o.org_id).await?.ok_or(CoreError::NotFound)?;
            // One the moderators withdrew is named only to those who manage
            // the collection (as its page: `collection::sealed`).
            let manages = match viewer {
                Some(a) => crate::collection::manages(db, a, org.id).await?,
                None => false,
            };
            let title = if crate::collection::sealed(&o, manages) { crate::collection::WITHDRAWN_TITLE.to_string() } else { o.title.clone() };
            let mut info = base(title, crate::collection::object_path(&org.slug, &o.accession_number));
            info.owner_org = Some(org.id);
            info.host_orgs.push(org.id);
            if o.withdrawn() {
                info.closed = Some(if o.withdrawn_how == meetinghouse_store::objects::BY_MODERATION {
                    "The meeting house's moderators withdrew this object from the collection, so its conversation is closed.".to_string()
                } else {
                    format!("This object is no longer in the collection of {}, so its conversation is closed.", org.name)
                });
            }
            Ok(info)
        }
    }
}

/// Whether a person hosts a subject: staff or admin of an organisation that
/// owns it, a host of its group, or one of the people named as its hosts
/// (for a prompt, and a story answering one, by `prompts::hosted_by`).
/// Instance admins are not hosts by being admins: reciprocity counts the
/// subject's own hosts.
pub async fn is_host(db: &Db, info: &SubjectInfo, person: i64) -> Result<bool> {
    if info.host_people.contains(&person) {
        return Ok(true);
    }
    for org in &info.host_orgs {
        if crate::orgs::is_staff(db, *org, person).await? {
            return Ok(true);
        }
    }
    for g in &info.host_groups {
        if let Some((role, status)) = store_groups::direct_membership(db, *g, MemberKind::Person, person).await?
            && status == "active" && role == "host"
        {
            return Ok(true);
        }
    }
    Ok(false)
}

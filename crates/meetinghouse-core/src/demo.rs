//! The demo town: a museum, an arts centre, a council engagement team, a
//! housing charity and a library in a small Devon town; 44 people across
//! sectors; groups nested three deep (a regional network ⊃ a town network ⊃
//! organisations' groups). Later features add their own content here.

use meetinghouse_store::groups::{self, MemberKind};
use meetinghouse_store::{Db, StoreError, orgs, people, settings};

use crate::error::Result;
use crate::secrets;

/// The password every demo account shares (printed by `meetinghouse demo`).
pub const DEMO_PASSWORD: &str = "meetinghouse-demo";

/// What a run seeded, for the command's output.
#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    pub people: usize,
    pub orgs: usize,
    pub groups: usize,
    pub prompts: usize,
    pub stories: usize,
    /// Stories given a photo.
    pub photos: usize,
    pub replies: usize,
    pub objects: usize,
    /// (participants, votes) of the common-ground conversation.
    pub common_ground: (usize, usize),
    /// The town was complete already: nothing was written.
    pub skipped: bool,
    /// An earlier run had stopped part-way; this one added what was missing
    /// (the counts above are what it added).
    pub resumed: bool,
}

impl DemoReport {
    fn added_nothing(&self) -> bool {
        self.people + self.stories + self.photos + self.replies + self.objects + self.common_ground.0 == 0
    }
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.skipped {
            return write!(f, "The demo town is already here: nothing to do.");
        }
        if self.resumed {
            let mut added = Vec::new();
            if self.objects > 0 {
                added.push(format!("{} collection objects", self.objects));
            }
            if self.photos > 0 {
                added.push(format!("photos on {} stories", self.photos));
            }
            if self.replies > 0 {
                added.push(format!("{} replies", self.replies));
            }
            if self.common_ground.0 > 0 {
                added.push(format!("a common-ground conversation with {} participants and {} votes", self.common_ground.0, self.common_ground.1));
            }
            let added = match added.split_last() {
                None => "its last touches".to_string(),
                Some((last, [])) => last.clone(),
                Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            };
            writeln!(f, "Finished the demo town an earlier run had left part-way: added {added}.")?;
        } else {
            writeln!(
                f,
                "Seeded the demo town: {} people, {} organisations, {} groups, {} prompts, {} stories with photos, {} collection objects, {} replies, \
                 and a common-ground conversation with {} participants and {} votes.",
                self.people, self.orgs, self.groups, self.prompts, self.stories, self.objects, self.replies, self.common_ground.0, self.common_ground.1
            )?;
        }
        write!(
            f,
            "Sign in as sam@demo.meetinghouse.test (an instance admin and museum staff) or any demo person \
             with the password “{DEMO_PASSWORD}”."
        )
    }
}

/// Whether the database has no people yet (`serve --demo` seeds only then).
pub async fn is_empty(db: &Db) -> Result<bool> {
    Ok(people::count(db).await? == 0)
}

/// Whether this meeting house is the demo town, seeded to the end by some
/// version of [`seed`] (a later version's steps add only what is missing).
pub async fn is_demo_town(db: &Db) -> Result<bool> {
    Ok(settings::get(db, DONE_KEY).await?.is_some())
}

struct DemoPerson {
    handle: &'static str,
    name: &'static str,
    pronouns: &'static str,
    sectors: &'static [&'static str],
    bio: &'static str,
    /// (organisation slug, role)
    org: Option<(&'static str, &'static str)>,
}

const fn p(
    handle: &'static str,
    name: &'static str,
    pronouns: &'static str,
    sectors: &'static [&'static str],
    bio: &'static str,
    org: Option<(&'static str, &'static str)>,
) -> DemoPerson {
    DemoPerson { handle, name, pronouns, sectors, bio, org }
}

const PEOPLE: &[DemoPerson] = &[
    p("sam", "Sam Okafor", "they/them", &["heritage"], "Digital lead at Tiverton Museum. Ask me about the 10,000 objects we keep in storage.", Some(("tiverton-museum", "admin"))),
    p("priya", "Priya Natarajan", "she/her", &["heritage", "education"], "Learning officer: school visits, family days and the handling collection.", Some(("tiverton-museum", "staff"))),
    p("george", "George Hawkins", "he/him", &["heritage", "resident"], "Museum volunteer for 22 years. Lace-making machines are my thing.", Some(("tiverton-museum", "member"))),
    p("hannah", "Hannah Lee", "she/her", &["heritage"], "Collections assistant, cataloguing the agricultural tools.", Some(("tiverton-museum", "staff"))),
    p("tom", "Tom Bright", "he/him", &["heritage", "resident"], "Volunteer on the front desk on Saturdays.", Some(("tiverton-museum", "member"))),
    p("amara", "Amara Mensah", "she/her", &["arts"], "Director of Riverside Arts Centre. Theatre, print studio and a very good café.", Some(("riverside-arts", "admin"))),
    p("lewis", "Lewis Carter", "he/him", &["arts", "education"], "Runs the youth theatre on Tuesday evenings.", Some(("riverside-arts", "staff"))),
    p("mei", "Mei Chen", "she/her", &["arts"], "Printmaker in residence. Open studio every first Friday.", Some(("riverside-arts", "staff"))),
    p("rowan", "Rowan Ellis", "they/them", &["arts", "resident"], "Ceramicist and community arts volunteer.", Some(("riverside-arts", "member"))),
    p("jas", "Jaswinder Gill", "he/him", &["arts", "health"], "Arts on prescription facilitator, working with the GP surgery.", Some(("riverside-arts", "staff"))),
    p("claire", "Claire Whitfield", "she/her", &["local_government"], "Community engagement officer at the council. I want to hear what you think before we decide.", Some(("tiverton-council-engagement", "admin"))),
    p("david", "David Osei", "he/him", &["local_government"], "Neighbourhood planning, open spaces and the town centre plan.", Some(("tiverton-council-engagement", "staff"))),
    p("fiona", "Fiona MacLeod", "she/her", &["local_government", "social_care"], "Adult social care commissioning; interested in loneliness and connection.", Some(("tiverton-council-engagement", "staff"))),
    p("ibrahim", "Ibrahim Yusuf", "he/him", &["local_government", "education"], "Youth participation lead: the youth panel is mine.", Some(("tiverton-council-engagement", "staff"))),
    p("nadia", "Nadia Petrova", "she/her", &["housing", "voluntary_sector"], "Chief officer at Exe Valley Housing Trust.", Some(("exe-valley-housing", "admin"))),
    p("kwame", "Kwame Asante", "he/him", &["housing"], "Tenant engagement: residents' voice meetings every month.", Some(("exe-valley-housing", "staff"))),
    p("beth", "Beth Morgan", "she/her", &["housing", "health"], "Wellbeing and tenancy sustainment worker.", Some(("exe-valley-housing", "staff"))),
    p("oliver", "Oliver Grant", "he/him", &["housing", "resident"], "Tenant rep for the Westexe estate.", Some(("exe-valley-housing", "member"))),
    p("ruth", "Ruth Abbott", "she/her", &["libraries"], "Branch librarian. Books, warm spaces and a very busy Lego club.", Some(("tiverton-library", "admin"))),
    p("marcus", "Marcus Reid", "he/him", &["libraries", "education"], "Digital inclusion sessions: bring your phone and your questions.", Some(("tiverton-library", "staff"))),
    p("sophie", "Sophie Turner", "she/her", &["libraries", "arts"], "Reading groups and the local authors' festival.", Some(("tiverton-library", "staff"))),
    p("alan", "Alan Pike", "he/him", &["libraries", "resident"], "Library volunteer; family history help desk on Wednesdays.", Some(("tiverton-library", "member"))),
    p("zainab", "Zainab Hussain", "she/her", &["health"], "Social prescriber at the Castle Place surgery.", None),
    p("megan", "Megan Price", "she/her", &["health", "voluntary_sector"], "Runs the Tuesday walking group.", None),
    p("chris", "Chris Dunn", "he/him", &["education"], "Teacher at Tiverton High, history department.", None),
    p("laura", "Laura Jenkins", "she/her", &["education", "resident"], "Primary school parent governor.", None),
    p("ahmed", "Ahmed Karimi", "he/him", &["business"], "Owns the bakery on Fore Street; sponsor of the summer fair.", None),
    p("jo", "Jo Baxter", "she/her", &["business", "arts"], "Runs a small design studio; volunteers on the arts centre board.", None),
    p("pete", "Pete Sullivan", "he/him", &["voluntary_sector"], "Coordinator at the food bank.", None),
    p("ellen", "Ellen Foster", "she/her", &["voluntary_sector", "social_care"], "Befriending scheme volunteer.", None),
    p("yusuf", "Yusuf Demir", "he/him", &["voluntary_sector", "resident"], "Repair café organiser: bring your broken toaster.", None),
    p("grace", "Grace Adeyemi", "she/her", &["social_care"], "Carer and carers' group member.", None),
    p("harry", "Harry Blake", "he/him", &["resident"], "Retired engineer, grew up on the canal.", None),
    p("iris", "Iris Moreau", "she/her", &["resident", "arts"], "Moved here last year; painting the town one street at a time.", None),
    p("kit", "Kit Robinson", "they/them", &["resident"], "Sixth-former, youth panel member.", None),
    p("linh", "Linh Nguyen", "she/her", &["resident", "business"], "Nail bar owner and mum of three.", None),
    p("noah", "Noah Williams", "he/him", &["resident"], "Plays in the town band.", None),
    p("olu", "Olu Balogun", "he/him", &["health", "resident"], "Community nurse, runs the Saturday parkrun.", None),
    p("poppy", "Poppy Marsh", "she/her", &["resident", "heritage"], "Local history society secretary.", None),
    p("quinn", "Quinn Harper", "they/them", &["arts", "resident"], "DJ and youth worker.", None),
    p("rosa", "Rosa Alvarez", "she/her", &["education", "heritage"], "PhD researcher on rural textile heritage.", None),
    p("stan", "Stan Cooper", "he/him", &["resident", "housing"], "Lives in sheltered housing, chairs the residents' committee.", None),
    p("tara", "Tara Singh", "she/her", &["other"], "Freelance photographer.", None),
    p("umar", "Umar Farooq", "he/him", &["local_government", "resident"], "Town councillor for Westexe.", None),
];

struct DemoOrg {
    slug: &'static str,
    name: &'static str,
    sector: &'static str,
    description: &'static str,
    website: &'static str,
}

const ORGS: &[DemoOrg] = &[
    DemoOrg { slug: "tiverton-museum", name: "Tiverton Museum", sector: "heritage", description: "The museum of mid-Devon life: lace, canals, farming and the people who made the town. Most of our 10,000 objects are in storage — help us bring them out.", website: "https://museum.example.org" },
    DemoOrg { slug: "riverside-arts", name: "Riverside Arts Centre", sector: "arts", description: "A theatre, a print studio, a gallery and a café by the Exe. Arts on prescription, youth theatre and open studios.", website: "https://arts.example.org" },
    DemoOrg { slug: "tiverton-council-engagement", name: "Tiverton Council Engagement Team", sector: "local_government", description: "We help the council listen before it decides: the town centre plan, open spaces, the youth panel.", website: "https://council.example.org" },
    DemoOrg { slug: "exe-valley-housing", name: "Exe Valley Housing Trust", sector: "housing", description: "A housing charity with 1,200 homes in the Exe valley, and a residents' voice in everything we do.", website: "https://housing.example.org" },
    DemoOrg { slug: "tiverton-library", name: "Tiverton Library", sector: "libraries", description: "Books, warm spaces, digital help, family history and a very busy Lego club.", website: "https://library.example.org" },
];

struct DemoGroup {
    slug: &'static str,
    name: &'static str,
    purpose: &'static str,
    visibility: &'static str,
    join_policy: &'static str,
    host: &'static str,
    /// Groups it is a member of.
    parents: &'static [&'static str],
    /// Organisations that are members.
    orgs: &'static [&'static str],
    /// People who are direct members.
    people: &'static [&'static str],
}

/// The groups inside Tiverton Together choose their members (by request or
/// by invitation), as the network does: a group anyone may join would let
/// anyone into the network's members-only content, so such a nesting is
/// refused (core `groups::nest`). The reading circle, open to all, stands on
/// its own.
const GROUPS: &[DemoGroup] = &[
    DemoGroup { slug: "devon-culture-community", name: "Devon Culture & Community Network", purpose: "A regional network of town networks across Devon: we share what works when culture, health, housing and councils act together.", visibility: "public", join_policy: "request", host: "claire", parents: &[], orgs: &[], people: &["rosa"] },
    DemoGroup { slug: "tiverton-together", name: "Tiverton Together", purpose: "The town's network of networks: museum, arts, library, housing and council people finding common ground and acting on it.", visibility: "public", join_policy: "request", host: "claire", parents: &["devon-culture-community"], orgs: &["tiverton-museum", "riverside-arts", "tiverton-council-engagement", "exe-valley-housing", "tiverton-library"], people: &["umar", "zainab", "pete"] },
    DemoGroup { slug: "museum-volunteers", name: "Museum Volunteers", purpose: "Everyone who gives time to Tiverton Museum: rotas, training and stories from the stores.", visibility: "public", join_policy: "request", host: "sam", parents: &["tiverton-together"], orgs: &[], people: &["george", "tom", "poppy", "harry"] },
    DemoGroup { slug: "arts-makers", name: "Riverside Makers", purpose: "Makers, printers and potters who use the arts centre's studios.", visibility: "public", join_policy: "request", host: "mei", parents: &["tiverton-together"], orgs: &[], people: &["rowan", "iris", "jo", "quinn"] },
    DemoGroup { slug: "reading-circle", name: "Library Reading Circle", purpose: "One book a month, read together, argued over kindly.", visibility: "public", join_policy: "open", host: "sophie", parents: &[], orgs: &[], people: &["alan", "ellen", "laura", "grace"] },
    DemoGroup { slug: "residents-voice", name: "Residents' Voice", purpose: "Tenants of Exe Valley Housing shaping the services they live with.", visibility: "members", join_policy: "request", host: "kwame", parents: &["tiverton-together"], orgs: &[], people: &["oliver", "stan", "beth", "linh"] },
    DemoGroup { slug: "youth-panel", name: "Tiverton Youth Panel", purpose: "Young people advising the council on what the town should be like for them.", visibility: "public", join_policy: "invite", host: "ibrahim", parents: &["tiverton-together"], orgs: &[], people: &["kit", "quinn", "lewis"] },
    DemoGroup { slug: "wellbeing-walks", name: "Wellbeing Walks & Talks", purpose: "Walking groups and arts-on-prescription people meeting across health and culture.", visibility: "public", join_policy: "request", host: "megan", parents: &["tiverton-together"], orgs: &[], people: &["jas", "zainab", "olu", "fiona", "noah"] },
];

/// The instance setting that marks the demo town complete, holding the
/// version of its content. It is set only after the last step, so a run that
/// was stopped part-way (killed, or the database gone) is finished by the
/// next one; a later version that adds content bumps it, and its steps add
/// only what is missing.
const DONE_KEY: &str = "demo_town";
const DONE_VERSION: &str = "1";

/// An account is one of the demo town's when its address is
/// `<handle>@demo.meetinghouse.test`.
fn demo_email(handle: &str) -> String {
    format!("{handle}@demo.meetinghouse.test")
}

/// Takes the lock a demo seeding holds while it runs (store `run_lock`),
/// so a second run, in this process or another, knows one is under way
/// rather than taking its half-made town for one an earlier run left
/// part-way; `None` when another holds it. The lock ends with the process
/// that holds it, so a run killed part-way is finished by the next one at
/// once. [`seed`] itself takes no lock: its caller holds this one.
pub async fn seeding_lock(db: &Db) -> Result<Option<meetinghouse_store::run_lock::RunLock>> {
    Ok(meetinghouse_store::run_lock::try_take(db, "demo-seeding").await?)
}

/// How many steps [`seed`] takes: the people, organisations, groups, prompts
/// and stories; the museum's collection; photos; replies; the common-ground
/// conversation.
pub const STEPS: usize = 5;

/// Whether an earlier run left the demo town part-way: its accounts are here
/// but it was never marked complete. [`seed`] finishes such a town.
pub async fn unfinished(db: &Db) -> Result<bool> {
    if settings::get(db, DONE_KEY).await?.as_deref() == Some(DONE_VERSION) {
        return Ok(false);
    }
    Ok(matches!(people::by_handle(db, "sam").await?, Some(sam) if sam.email == demo_email("sam")))
}

/// Seeds the demo town in [`STEPS`] steps, each in its own transaction or
/// transactions, and each skipping itself when its rows are already there, so
/// a run that was stopped part-way is finished by the next. The town is
/// marked complete in the instance settings after the last step; a complete
/// town is left alone. Refuses, before writing anything, when an account
/// that is not the demo's uses a demo handle or address (or an organisation
/// or group a demo address), and when only part of the first step's town is
/// here. All demo people share [`DEMO_PASSWORD`].
pub async fn seed(db: &Db, media: &meetinghouse_media::MediaStore) -> Result<DemoReport> {
    seed_first_steps(db, media, STEPS).await
}

/// Runs the first `steps` steps of [`seed`] and marks the town complete only
/// when that is all of them: what a run stopped part-way leaves (for tests).
#[doc(hidden)]
pub async fn seed_first_steps(db: &Db, media: &meetinghouse_media::MediaStore, steps: usize) -> Result<DemoReport> {
    if settings::get(db, DONE_KEY).await?.as_deref() == Some(DONE_VERSION) {
        return Ok(DemoReport { skipped: true, ..Default::default() });
    }
    let mut report = DemoReport::default();
    let started = std::time::Instant::now();
    let town = match find_town(db).await? {
        Some(town) => {
            report.resumed = true;
            town
        }
        None => {
            let (town, prompts, stories) = seed_town(db).await?;
            (report.people, report.orgs, report.groups, report.prompts, report.stories) = (PEOPLE.len(), ORGS.len(), GROUPS.len(), prompts, stories);
            town
        }
    };
    tracing::debug!(elapsed = ?started.elapsed(), "demo: people, organisations, groups, prompts and stories");
    if steps < 2 {
        return Ok(report);
    }
    report.objects = crate::demo_content::seed_objects(db, town.orgs["tiverton-museum"]).await?;
    tracing::debug!(elapsed = ?started.elapsed(), "demo: the museum's collection");
    if steps < 3 {
        return Ok(report);
    }
    let sam = people::by_id(db, town.people["sam"]).await?.ok_or(crate::CoreError::NotFound)?;
    let authors: std::collections::HashSet<i64> = town.people.values().copied().collect();
    report.photos = crate::demo_content::seed_photos(db, media, &crate::Actor::from_row(&sam), &authors).await?;
    tracing::debug!(elapsed = ?started.elapsed(), "demo: photos");
    if steps < 4 {
        return Ok(report);
    }
    report.replies = seed_conversations(db, &town.people, &town.orgs, &town.groups).await?;
    report.replies += seed_amendment(db, &town).await?;
    tracing::debug!(elapsed = ?started.elapsed(), "demo: replies");
    if steps < 5 {
        return Ok(report);
    }
    let claire = town.people["claire"];
    match demo_conversation(db, claire).await? {
        Some(id) => {
            // Stored, but stopped before its first analysis: draw the map now.
            if meetinghouse_store::common_ground::analysis(db, id).await?.is_none() {
                crate::common_ground::recompute(db, id).await?;
            }
        }
        None => {
            let everyone: Vec<i64> = PEOPLE.iter().map(|p| town.people[p.handle]).collect();
            report.common_ground = crate::common_ground::seed_demo(
                db,
                claire,
                Some(town.orgs["tiverton-council-engagement"]),
                Some(town.groups["tiverton-together"]),
                &everyone,
            )
            .await?;
        }
    }
    tracing::debug!(elapsed = ?started.elapsed(), "demo: the common-ground conversation");
    if steps < STEPS {
        return Ok(report);
    }
    let mut tx = db.begin().await?;
    settings::put(&mut tx, DONE_KEY, DONE_VERSION).await?;
    tx.commit().await.map_err(StoreError::from)?;
    if report.resumed && report.added_nothing() {
        // A town an older version seeded completely, before the mark existed.
        return Ok(DemoReport { skipped: true, ..Default::default() });
    }
    Ok(report)
}

/// The demo town's accounts, organisations and groups by handle and slug.
struct Town {
    people: std::collections::HashMap<&'static str, i64>,
    orgs: std::collections::HashMap<&'static str, i64>,
    groups: std::collections::HashMap<&'static str, i64>,
}

fn refused(why: String) -> crate::CoreError {
    crate::CoreError::Forbidden(format!(
        "The demo town was not seeded: {why}. Seed the demo town into a new, empty database instead."
    ))
}

/// The town the first step stored, or `None` when none of its accounts is
/// here (and its addresses, organisations' and groups' included, are free).
/// Refuses an account that uses a demo handle but is not the demo's, and a
/// town that is only partly here (the first step is one transaction, so
/// only later changes leave that).
async fn find_town(db: &Db) -> Result<Option<Town>> {
    let mut ids = std::collections::HashMap::new();
    let mut missing = Vec::new();
    for person in PEOPLE {
        match people::by_handle(db, person.handle).await? {
            Some(row) if row.email == demo_email(person.handle) => {
                ids.insert(person.handle, row.id);
            }
            Some(_) => return Err(refused(format!("@{} is an account of this meeting house, not the demo town's, and the demo town needs that handle", person.handle))),
            None => missing.push(format!("@{}", person.handle)),
        }
    }
    if ids.is_empty() {
        for person in PEOPLE {
            let email = demo_email(person.handle);
            if let Some(row) = people::by_email(db, &email).await? {
                return Err(refused(format!("the address {email}, which the demo town needs, belongs to @{}", row.handle)));
            }
        }
        for org in ORGS {
            if orgs::by_slug(db, org.slug).await?.is_some() {
                return Err(refused(format!("an organisation already has the address /orgs/{}, which the demo town needs", org.slug)));
            }
        }
        for g in GROUPS {
            if groups::by_slug(db, g.slug).await?.is_some() {
                return Err(refused(format!("a group already has the address /groups/{}, which the demo town needs", g.slug)));
            }
        }
        return Ok(None);
    }
    if !missing.is_empty() {
        return Err(refused(format!("it is only partly here: its accounts {} are missing", missing.join(", "))));
    }
    let mut org_ids = std::collections::HashMap::new();
    for org in ORGS {
        let Some(row) = orgs::by_slug(db, org.slug).await? else {
            return Err(refused(format!("it is only partly here: its organisation {} is missing", org.name)));
        };
        org_ids.insert(org.slug, row.id);
    }
    let mut group_ids = std::collections::HashMap::new();
    for g in GROUPS {
        let Some(row) = groups::by_slug(db, g.slug).await? else {
            return Err(refused(format!("it is only partly here: its group {} is missing", g.name)));
        };
        group_ids.insert(g.slug, row.id);
    }
    Ok(Some(Town { people: ids, orgs: org_ids, groups: group_ids }))
}

/// The first step, in one transaction: people, organisations, groups,
/// settings, prompts and stories. Returns the town, and how many prompts
/// and stories it wrote.
async fn seed_town(db: &Db) -> Result<(Town, usize, usize)> {
    // One hash for everyone: the password is the same and hashing is slow on purpose.
    let hash = secrets::hash_password(DEMO_PASSWORD)?;
    let mut tx = db.begin().await?;
    let mut ids = std::collections::HashMap::new();
    for person in PEOPLE {
        let email = demo_email(person.handle);
        let new = people::NewPerson {
            email: &email,
            handle: person.handle,
            display_name: person.name,
            password_hash: &hash,
            is_admin: person.handle == "sam",
            status: "active",
        };
        let id = people::insert(&mut tx, &new).await?;
        people::mark_verified(&mut tx, id).await?;
        let sectors: Vec<String> = person.sectors.iter().map(|s| s.to_string()).collect();
        let update = people::ProfileUpdate { display_name: person.name, pronouns: person.pronouns, bio: person.bio, sectors: &sectors };
        people::update_profile(&mut tx, id, &update).await?;
        ids.insert(person.handle, id);
    }
    let mut org_ids = std::collections::HashMap::new();
    for org in ORGS {
        let admin = PEOPLE.iter().find(|p| p.org == Some((org.slug, "admin"))).map(|p| ids[p.handle]).expect("each demo org has an admin");
        let folded = crate::orgs::name_key(org.name);
        let new = orgs::NewOrg { slug: org.slug, name: org.name, name_folded: &folded, sector: org.sector, description: org.description, website: org.website, town: "Tiverton" };
        let id = orgs::insert(&mut tx, &new, admin).await?;
        // The demo's organisations are its own: their imports never wait for an instance admin.
        orgs::open_collection(&mut tx, id, meetinghouse_store::now()).await?;
        org_ids.insert(org.slug, id);
    }
    for person in PEOPLE {
        if let Some((slug, role)) = person.org {
            orgs::add_active(&mut tx, org_ids[slug], ids[person.handle], role).await?;
        }
    }
    let mut group_ids = std::collections::HashMap::new();
    for g in GROUPS {
        let host = ids[g.host];
        let new = groups::NewGroup { slug: g.slug, name: g.name, purpose: g.purpose, visibility: g.visibility, join_policy: g.join_policy };
        let id = groups::insert(&mut tx, &new, host).await?;
        group_ids.insert(g.slug, id);
        for parent in g.parents {
            groups::nest(&mut tx, db.backend(), group_ids[parent], id, "active", host).await?;
        }
        for org in g.orgs {
            groups::upsert_member(&mut tx, id, MemberKind::Org, org_ids[org], "member", "active", host).await?;
        }
        for handle in g.people {
            groups::upsert_member(&mut tx, id, MemberKind::Person, ids[handle], "member", "active", host).await?;
        }
    }
    // A request waiting for a host, so the approval flow has something to show.
    groups::upsert_member(&mut tx, group_ids["residents-voice"], MemberKind::Person, ids["tara"], "member", "requested", ids["tara"]).await?;
    for (key, value) in [
        ("name", "Tiverton Meeting House"),
        ("tagline", "Stories, conversations and common ground for Tiverton"),
        ("about", "Tiverton Meeting House is where the museum, the arts centre, the library, the housing trust, the council and the people of the town **share stories, talk as people, and act together**.\n\nNo like counts, no leaderboards: we measure the connections made."),
    ] {
        settings::put(&mut tx, key, value).await?;
    }
    let person = |h: &str| ids[h];
    let org = |s: &str| org_ids[s];
    let (prompts, stories) = crate::demo_content::seed(&mut tx, db, &person, &org).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((Town { people: ids, orgs: org_ids, groups: group_ids }, prompts, stories))
}

/// The demo's common-ground conversation, when a run stored it.
async fn demo_conversation(db: &Db, host: i64) -> Result<Option<i64>> {
    let mut offset = 0;
    loop {
        let page = meetinghouse_store::common_ground::list(db, 100, offset).await?;
        if let Some(c) = page.iter().find(|c| c.host_person == host && c.topic == crate::common_ground::DEMO_TOPIC) {
            return Ok(Some(c.id));
        }
        if page.len() < 100 {
            return Ok(None);
        }
        offset += 100;
    }
}

/// The demo town's conversations, in one transaction: staff answering
/// community stories as themselves, a 2,000-reply thread on the "great day
/// out" prompt, threads that cross sectors, private thanks, and reports
/// waiting in the moderation queue. Returns how many replies were written:
/// none when an earlier run wrote them.
/// An open amendment to Tiverton Together's purpose, so the demo shows how a
/// network's purpose changes: Umar proposes it, Pete objects with a reason,
/// and Umar answers in its conversation. Left open: its seven days run from
/// when the demo was seeded. Returns the replies written (none when a run
/// already proposed it).
async fn seed_amendment(db: &Db, town: &Town) -> Result<usize> {
    use crate::purposes::{self, AmendForm, ObjectionForm};
    let group = town.groups["tiverton-together"];
    let already = !meetinghouse_store::purposes::open_amendments(db, group).await?.is_empty()
        || !meetinghouse_store::purposes::settled_amendments(db, group, 1).await?.is_empty();
    if already {
        return Ok(0);
    }
    let loaded = crate::settings::Settings::load(db).await?;
    let mail = crate::notifications::Mailer { settings: &loaded, base_url: "http://localhost" };
    let actor = |handle: &'static str| async move {
        let row = people::by_id(db, town.people[handle]).await?.ok_or(crate::CoreError::NotFound)?;
        Ok::<_, crate::CoreError>(crate::Actor::from_row(&row))
    };
    let (umar, pete) = (actor("umar").await?, actor("pete").await?);
    let form = AmendForm {
        text: "The town's network of networks: museum, arts, library, housing and council people, and the residents they serve, \
               finding common ground, acting on it together and telling the town what came of it."
            .into(),
        why: "Residents are the reason we meet, so they belong in the sentence; and saying what came of our work keeps us honest.".into(),
    };
    let id = purposes::propose(db, mail, &umar, "tiverton-together", &form).await?;
    let objection = ObjectionForm {
        reason: "\"Telling the town\" sounds like a promise of a newsletter nobody has time to write. Could we say \"sharing what we learnt\" instead?".into(),
    };
    purposes::object(db, mail, &pete, "tiverton-together", id, &objection).await?;
    let answer = crate::conversations::ReplyForm {
        body: "Fair point, Pete. I meant the page on this site, not a newsletter. If \"sharing what we learnt\" reads better to others too, I will withdraw this and propose it with your words.".into(),
        ..Default::default()
    };
    crate::conversations::post(db, mail, &umar, crate::subjects::Subject::Amendment(id), &answer).await?;
    Ok(1)
}

async fn seed_conversations(
    db: &Db,
    ids: &std::collections::HashMap<&str, i64>,
    org_ids: &std::collections::HashMap<&str, i64>,
    group_ids: &std::collections::HashMap<&str, i64>,
) -> Result<usize> {
    use meetinghouse_store::conversations::{self as replies, NewReply};
    use meetinghouse_store::interactions::{self, NewInteraction};
    use meetinghouse_store::{moderation, prompts as store_prompts, stories as store_stories};

    // The replies are one transaction, so the group's thread starting shows
    // they are all there (from a run that stopped after them).
    let group = group_ids["tiverton-together"];
    let (opener, _, opening) = GROUP_THREAD[0];
    if replies::page(db, "group", group, "", 0, 1).await?.first().is_some_and(|r| r.author_person == ids[opener] && r.body == opening) {
        return Ok(0);
    }
    let stories = store_stories::recent_public(db, None, 60, 0).await?;
    let prompt = store_prompts::list(db, 10, 0).await?.into_iter().find(|p| p.question.starts_with("What makes a great day out"));
    // Who speaks: (person id, organisation id when staff speaking as themselves · org).
    let staff: Vec<(i64, i64)> = PEOPLE
        .iter()
        .filter_map(|p| match p.org {
            Some((slug, "staff" | "admin")) => Some((ids[p.handle], org_ids[slug])),
            _ => None,
        })
        .collect();
    let community: Vec<i64> = PEOPLE.iter().filter(|p| !matches!(p.org, Some((_, "staff" | "admin")))).map(|p| ids[p.handle]).collect();
    let mut seed: u64 = 0x5eed_cafe;
    let mut next = move |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n.max(1)
    };
    let mut tx = db.begin().await?;
    let mut written = 0;
    let mut reported = Vec::new();
    // 1. Stories: a community reply or two, a staff answer as themselves, sometimes an exchange.
    for (i, s) in stories.iter().enumerate().take(40) {
        let mut last: Option<(i64, i64, String, i64, Option<i64>)> = None;
        for turn in 0..(2 + next(3)) {
            let staff_turn = turn == 1 || (turn > 1 && next(2) == 0);
            let (author, org) = if staff_turn {
                let (p, o) = staff[next(staff.len())];
                (p, Some(o))
            } else {
                (community[next(community.len())], None)
            };
            if author == s.author_person {
                continue;
            }
            let body = if staff_turn { STAFF_LINES[next(STAFF_LINES.len())] } else { COMMUNITY_LINES[next(COMMUNITY_LINES.len())] };
            let parent = last.as_ref().map(|(id, depth, path, _, _)| (*id, *depth, path.as_str()));
            let new = NewReply {
                subject_kind: "story",
                subject_id: s.id,
                parent,
                author_person: author,
                author_org: org,
                voice: if org.is_some() { "affiliated" } else { "person" },
                body,
                status: "visible",
                by_host: org.is_some(),
                public: true,
            };
            let (id, path) = replies::insert(&mut tx, &new).await?;
            let (target, target_org) = match &last {
                Some((_, _, _, p, o)) => (*p, *o),
                None => (s.author_person, s.author_org),
            };
            interactions::insert(&mut tx, &NewInteraction {
                source_person: author,
                source_org: org,
                target_person: target,
                target_org,
                kind: "reply",
                subject_kind: "story",
                subject_id: s.id,
                public: true,
            }, Some(id))
            .await?;
            if org.is_some() {
                match &last {
                    Some((pid, _, _, _, None)) => replies::record_host_reply(&mut tx, "reply", *pid, id).await?,
                    None if s.author_org.is_none() => replies::record_host_reply(&mut tx, "story", s.id, id).await?,
                    _ => {}
                }
            } else if i % 3 == 0 {
                // The story's author sends private thanks for community replies now and then.
                if replies::add_thanks(&mut tx, "reply", id, s.author_person, author, "resonated").await? {
                    interactions::insert(&mut tx, &NewInteraction {
                        source_person: s.author_person,
                        source_org: None,
                        target_person: author,
                        target_org: None,
                        kind: "thanks",
                        subject_kind: "story",
                        subject_id: s.id,
                        public: true,
                    }, Some(id))
                    .await?;
                }
            }
            if i % 13 == 5 && reported.len() < 3 && org.is_none() {
                reported.push((id, author));
            }
            last = Some((id, new.parent.map(|(_, d, _)| d + 1).unwrap_or(0), path, author, org));
            written += 1;
        }
    }
    // 2. The long thread: 2,000 replies on the prompt, nested up to six deep.
    if let Some(p) = &prompt {
        let mut recent: Vec<(i64, i64, String, i64)> = Vec::new();
        for n in 0..2_000 {
            let (author, org) = if n % 9 == 4 {
                let (a, o) = staff[next(staff.len())];
                (a, Some(o))
            } else {
                (community[next(community.len())], None)
            };
            let parent = if recent.is_empty() || next(3) == 0 { None } else { Some(recent[recent.len() - 1 - next(recent.len().min(5))].clone()) };
            let parent = parent.filter(|(_, depth, _, _)| *depth < 6);
            let text = if org.is_some() { STAFF_LINES[next(STAFF_LINES.len())] } else { DAY_OUT_LINES[next(DAY_OUT_LINES.len())] };
            let new = NewReply {
                subject_kind: "prompt",
                subject_id: p.id,
                parent: parent.as_ref().map(|(id, d, path, _)| (*id, *d, path.as_str())),
                author_person: author,
                author_org: org,
                voice: if org.is_some() { "affiliated" } else { "person" },
                body: text,
                status: "visible",
                by_host: org.is_some(),
                public: true,
            };
            let (id, path) = replies::insert(&mut tx, &new).await?;
            let target = parent.as_ref().map(|(_, _, _, a)| *a).unwrap_or(p.host_person);
            if target != author {
                interactions::insert(&mut tx, &NewInteraction {
                    source_person: author,
                    source_org: org,
                    target_person: target,
                    target_org: if parent.is_none() { p.host_org } else { None },
                    kind: "reply",
                    subject_kind: "prompt",
                    subject_id: p.id,
                    public: true,
                }, Some(id))
                .await?;
            }
            let depth = parent.as_ref().map(|(_, d, _, _)| d + 1).unwrap_or(0);
            recent.push((id, depth, path, author));
            if recent.len() > 40 {
                recent.remove(0);
            }
            written += 1;
        }
    }
    // 3. A group's general discussion that crosses sectors.
    let mut parent: Option<(i64, i64, String)> = None;
    for (handle, org, text) in GROUP_THREAD {
        let org = org.map(|o| org_ids[o]);
        let new = NewReply {
            subject_kind: "group",
            subject_id: group,
            parent: parent.as_ref().map(|(id, d, path)| (*id, *d, path.as_str())),
            author_person: ids[handle],
            author_org: org,
            voice: if org.is_some() { "affiliated" } else { "person" },
            body: text,
            status: "visible",
            by_host: *handle == "claire",
            public: true,
        };
        let (id, path) = replies::insert(&mut tx, &new).await?;
        parent = Some((id, new.parent.map(|(_, d, _)| d + 1).unwrap_or(0), path));
        written += 1;
    }
    // 4. Reports waiting for the moderators.
    let reporters = [ids["poppy"], ids["stan"], ids["megan"]];
    for ((reply, author), reporter) in reported.iter().zip(reporters) {
        if *author == reporter {
            continue;
        }
        moderation::insert_report(&mut tx, Some(reporter), "reply", *reply, "misleading", "I don't think this is right — could someone check?", None).await?;
    }
    moderation::insert_report(&mut tx, Some(ids["oliver"]), "person", ids["quinn"], "spam", "Keeps posting the same club night flyer.", None).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(written)
}

const COMMUNITY_LINES: &[&str] = &[
    "This brought it all back — I remember the smell of the canal in summer.",
    "My grandad worked there too! I wonder whether they knew each other.",
    "I moved here last year and had no idea. Thank you for writing this down.",
    "We used to do exactly the same on Sundays. Is the old bench still there?",
    "Does anyone have photos of this? I would love to show my kids.",
    "I think it was a little later than that, maybe 1972 — but what a memory.",
    "This is why I love this town. *More of these, please.*",
    "Reading this on the bus home and smiling.",
];

const STAFF_LINES: &[&str] = &[
    "Thank you for sharing this. We have a photograph from about then in the stores — I'll dig it out and post it here.",
    "I hadn't heard this before, and I've worked here eight years. Would you be up for recording it for our oral history project?",
    "This is lovely. I've passed it to my colleagues — it might become part of the next display.",
    "Speaking as someone who grew up two streets away: yes, exactly this.",
    "Really useful for the town centre plan. Can I ask what would make it feel like that again?",
    "We run a drop-in on Wednesdays where people bring things like this — come and say hello.",
];

const DAY_OUT_LINES: &[&str] = &[
    "The steam fair at Knightshayes, every August, with candyfloss on the way home.",
    "Feeding the horses on the canal towpath, then chips on Fore Street.",
    "A rainy afternoon in the museum when I was seven — the lace machine!",
    "Paddling in the Exe at Bolham with my cousins.",
    "The Pannier Market on a Tuesday, and the man who sold records.",
    "A picnic in People's Park and the bandstand concert.",
    "Honestly? The library's Lego club. My son still talks about it.",
    "Walking group up to the castle, then tea. Simple, but it got me out.",
    "Agree with the above — and the train to Exeter for the pantomime.",
    "Same here. It's the people you go with that make it.",
];

const GROUP_THREAD: &[(&str, Option<&str>, &str)] = &[
    ("claire", Some("tiverton-council-engagement"), "What would make the winter less lonely for older people in town? We have a small fund and want to hear from every sector before we spend it."),
    ("ruth", Some("tiverton-library"), "The library is already a warm space on Tuesdays and Thursdays. We could open Saturdays if someone could help with volunteers."),
    ("beth", Some("exe-valley-housing"), "Many of our tenants don't know about it. Could we put it in the residents' newsletter and walk people over the first time?"),
    ("jas", Some("riverside-arts"), "Arts on prescription could meet at the library on Saturdays — a warm room, tea, and a printmaking table."),
    ("stan", None, "Speaking for the sheltered housing lot: a lift there and back matters more than anything else."),
    ("ahmed", None, "I can do the tea and a tray of pastries from the bakery every Saturday."),
    ("claire", Some("tiverton-council-engagement"), "Thank you all — this is four sectors and two residents in one thread. Let's meet next week and plan it together."),
];

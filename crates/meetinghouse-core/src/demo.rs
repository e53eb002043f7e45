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

/// What was seeded, for the command's output.
#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    pub people: usize,
    pub orgs: usize,
    pub groups: usize,
    pub prompts: usize,
    pub stories: usize,
    pub skipped: bool,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.skipped {
            return write!(f, "The demo town is already here: nothing to do.");
        }
        writeln!(
            f,
            "Seeded the demo town: {} people, {} organisations, {} groups, {} prompts, {} stories.",
            self.people, self.orgs, self.groups, self.prompts, self.stories
        )?;
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

const GROUPS: &[DemoGroup] = &[
    DemoGroup { slug: "devon-culture-community", name: "Devon Culture & Community Network", purpose: "A regional network of town networks across Devon: we share what works when culture, health, housing and councils act together.", visibility: "public", join_policy: "request", host: "claire", parents: &[], orgs: &[], people: &["rosa"] },
    DemoGroup { slug: "tiverton-together", name: "Tiverton Together", purpose: "The town's network of networks: museum, arts, library, housing and council people finding common ground and acting on it.", visibility: "public", join_policy: "request", host: "claire", parents: &["devon-culture-community"], orgs: &["tiverton-museum", "riverside-arts", "tiverton-council-engagement", "exe-valley-housing", "tiverton-library"], people: &["umar", "zainab", "pete"] },
    DemoGroup { slug: "museum-volunteers", name: "Museum Volunteers", purpose: "Everyone who gives time to Tiverton Museum: rotas, training and stories from the stores.", visibility: "public", join_policy: "open", host: "sam", parents: &["tiverton-together"], orgs: &[], people: &["george", "tom", "poppy", "harry"] },
    DemoGroup { slug: "arts-makers", name: "Riverside Makers", purpose: "Makers, printers and potters who use the arts centre's studios.", visibility: "public", join_policy: "open", host: "mei", parents: &["tiverton-together"], orgs: &[], people: &["rowan", "iris", "jo", "quinn"] },
    DemoGroup { slug: "reading-circle", name: "Library Reading Circle", purpose: "One book a month, read together, argued over kindly.", visibility: "public", join_policy: "open", host: "sophie", parents: &["tiverton-together"], orgs: &[], people: &["alan", "ellen", "laura", "grace"] },
    DemoGroup { slug: "residents-voice", name: "Residents' Voice", purpose: "Tenants of Exe Valley Housing shaping the services they live with.", visibility: "members", join_policy: "request", host: "kwame", parents: &["tiverton-together"], orgs: &[], people: &["oliver", "stan", "beth", "linh"] },
    DemoGroup { slug: "youth-panel", name: "Tiverton Youth Panel", purpose: "Young people advising the council on what the town should be like for them.", visibility: "public", join_policy: "invite", host: "ibrahim", parents: &["tiverton-together"], orgs: &[], people: &["kit", "quinn", "lewis"] },
    DemoGroup { slug: "wellbeing-walks", name: "Wellbeing Walks & Talks", purpose: "Walking groups and arts-on-prescription people meeting across health and culture.", visibility: "public", join_policy: "open", host: "megan", parents: &["tiverton-together"], orgs: &[], people: &["jas", "zainab", "olu", "fiona", "noah"] },
];

/// Seeds the demo town in one transaction; does nothing if the demo admin
/// already exists. All demo people share [`DEMO_PASSWORD`].
pub async fn seed(db: &Db) -> Result<DemoReport> {
    if people::by_handle(db, "sam").await?.is_some() {
        return Ok(DemoReport { skipped: true, ..Default::default() });
    }
    // One hash for everyone: the password is the same and hashing is slow on purpose.
    let hash = secrets::hash_password(DEMO_PASSWORD)?;
    let mut tx = db.begin().await?;
    let mut ids = std::collections::HashMap::new();
    for person in PEOPLE {
        let email = format!("{}@demo.meetinghouse.test", person.handle);
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
        let new = orgs::NewOrg { slug: org.slug, name: org.name, sector: org.sector, description: org.description, website: org.website, town: "Tiverton" };
        let id = orgs::insert(&mut tx, &new, admin).await?;
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
    Ok(DemoReport { people: PEOPLE.len(), orgs: ORGS.len(), groups: GROUPS.len(), prompts, stories, skipped: false })
}

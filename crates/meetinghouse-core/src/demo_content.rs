//! The demo town's stories and prompts: what a museum, a library and a
//! council team ask, and what people answer. Generated from a few real-sounding
//! places, periods and voices, deterministically.

use meetinghouse_store::prompts::{self, NewPrompt};
use meetinghouse_store::stories::{self, StoryFields};
use meetinghouse_store::{Db, Tx};

use crate::error::Result;

/// (question, description, host handle, host organisation slug)
pub const PROMPTS: &[(&str, &str, &str, &str)] = &[
    ("What makes a great day out?", "Tell us about a day out in or around Tiverton that you still remember — who you were with, what you did, why it stuck.", "sam", "tiverton-museum"),
    ("Which object from our stores should we bring out?", "Most of our 10,000 objects are in storage. Which one would you put on display, and why?", "hannah", "tiverton-museum"),
    ("What did the library mean to you growing up?", "Reading corners, homework, the first card with your name on it: share your library story.", "ruth", "tiverton-library"),
    ("Where do you feel at home in the town centre?", "We are writing the town centre plan. Before we draw anything, tell us where you feel you belong — and where you don't.", "claire", "tiverton-council-engagement"),
];

const PLACES: &[(&str, f64, f64)] = &[
    ("the Grand Western Canal", 50.9010, -3.4790),
    ("the Pannier Market", 50.9030, -3.4890),
    ("Heathcoat's lace factory", 50.9060, -3.4930),
    ("the River Exe at Bolham", 50.9250, -3.4960),
    ("Knightshayes", 50.9280, -3.4800),
    ("People's Park", 50.9080, -3.4870),
    ("Tiverton Castle", 50.9070, -3.4930),
    ("the old railway station", 50.9000, -3.4880),
    ("Fore Street", 50.9020, -3.4880),
    ("Amory Park", 50.9010, -3.4900),
];

const PERIODS: &[&str] = &["summer 1985", "the 1960s", "1972", "spring 2004", "the 1990s", "winter 1947", "1953", "last year", "the 1980s", "2012"];

const OPENINGS: &[&str] = &[
    "I remember going to {place} with my grandmother every Saturday.",
    "The first time I saw {place} I was nine, and it felt enormous.",
    "My dad worked near {place} for thirty years, and he took me there on his day off.",
    "We moved to Tiverton in {period} and {place} was the first place we explored.",
    "There is a photograph of my mum at {place}, laughing, that I keep on the fridge.",
];

const MIDDLES: &[&str] = &[
    "We would take a flask of tea and sandwiches wrapped in paper, and stay until the light went.",
    "The noise was the thing — the looms, the market traders, the horses on the towpath.",
    "Nobody had much money, but everybody knew everybody, and that was its own kind of wealth.",
    "I was shy then, and a woman I never saw again showed me how to skim stones.",
    "It smelled of wet leaves and coal smoke, and I can still smell it if I close my eyes.",
];

const ENDINGS: &[&str] = &[
    "I take my own children there now, and tell them the same stories.",
    "It has changed, of course, but when I walk past I still slow down.",
    "I would love to know whether anyone else remembers it like this.",
    "If the museum has anything from that time, I would love to see it.",
    "That day taught me that this town is made of small kindnesses.",
];

const AUTHORS: &[&str] = &[
    "george", "tom", "poppy", "harry", "iris", "rowan", "alan", "ellen", "laura", "grace", "stan", "oliver", "linh", "noah",
    "olu", "kit", "quinn", "rosa", "tara", "umar", "megan", "pete", "yusuf", "ahmed", "jo", "chris", "zainab",
];

const LICENCES: &[&str] = &["cc-by-4.0", "cc-by-sa-4.0", "cc0", "all-rights-reserved", "cc-by-4.0"];

/// Seeds the prompts and 100 stories inside the demo's transaction.
pub async fn seed(tx: &mut Tx, db: &Db, person: &dyn Fn(&str) -> i64, org: &dyn Fn(&str) -> i64) -> Result<(usize, usize)> {
    let now = meetinghouse_store::now();
    let mut prompt_ids = Vec::new();
    for (i, (q, d, host, org_slug)) in PROMPTS.iter().enumerate() {
        let id = prompts::insert(tx, &NewPrompt {
            host_person: person(host),
            host_org: Some(org(org_slug)),
            voice: "affiliated",
            question: q,
            description: d,
            opens_at: now - (40 - i as i64 * 5) * 86_400,
            closes_at: Some(now + (60 + i as i64 * 10) * 86_400),
            group_id: None,
        })
        .await?;
        crate::search::index(tx, db, "prompt", id, q, d, now).await?;
        prompt_ids.push(id);
    }
    let mut n = 0;
    for i in 0..100usize {
        let (place, lat, lon) = PLACES[i % PLACES.len()];
        let period = PERIODS[(i * 7) % PERIODS.len()];
        let body = format!(
            "{}\n\n{}\n\n{}",
            OPENINGS[i % OPENINGS.len()].replace("{place}", place).replace("{period}", period),
            MIDDLES[(i / 2) % MIDDLES.len()],
            ENDINGS[(i / 3) % ENDINGS.len()]
        );
        let mut title = format!("{} in {}", capitalise(place.trim_start_matches("the ")), period);
        if i >= 50 {
            title = format!("Remembering {} ({})", place.trim_start_matches("the "), period);
        }
        let years = crate::stories::years_in(period);
        let f = StoryFields {
            title: &title,
            body: &body,
            place_name: place,
            lat_milli: Some((lat * 1000.0).round() as i64),
            lon_milli: Some((lon * 1000.0).round() as i64),
            period_text: period,
            year_from: years.map(|y| y.0),
            year_to: years.map(|y| y.1),
            prompt_id: Some(prompt_ids[i % 2 + if i % 5 == 0 { 2 } else { 0 }]),
            licence: LICENCES[i % LICENCES.len()],
            consent_people: true,
            consent_minors: true,
            visibility: "public",
            group_id: None,
        };
        let id = stories::insert(tx, person(AUTHORS[i % AUTHORS.len()]), None, "person", &f).await?;
        crate::search::index(tx, db, "story", id, &title, &body, now).await?;
        n += 1;
    }
    Ok((PROMPTS.len(), n))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The museum's storerooms, generated: ~200 objects of mid-Devon life.
const OBJECT_THINGS: &[(&str, &str, &str)] = &[
    ("Lace collar", "Machine lace, cotton", "Textiles"),
    ("Lace-making bobbin", "Bone, glass beads", "Textiles"),
    ("Heathcoat mill wage book", "Ink on paper, cloth binding", "Social history"),
    ("Canal boat horse brass", "Brass", "Transport"),
    ("Tiverton Junction railway poster", "Lithograph on paper", "Works on paper"),
    ("Cider jar", "Earthenware, salt glazed", "Ceramics"),
    ("Hay rake", "Ash wood", "Agriculture"),
    ("School slate and pencil", "Slate, wood", "Education"),
    ("Market day photograph", "Gelatin silver print", "Photographs"),
    ("Wedding dress", "Silk, lace", "Textiles"),
    ("Blacksmith's tongs", "Wrought iron", "Agriculture"),
    ("Shop sign: Fore Street draper", "Painted pine", "Social history"),
    ("Tin toy bus", "Tinplate, paint", "Toys"),
    ("Sampler by a Blundell's pupil", "Wool on linen", "Textiles"),
    ("Ration book", "Printed paper", "Social history"),
    ("Wartime evacuee's suitcase", "Card, leather", "Social history"),
    ("Cattle market bell", "Bronze", "Agriculture"),
    ("Pannier market postcard", "Printed card", "Works on paper"),
    ("Fire bucket", "Leather", "Social history"),
    ("Carnival programme", "Printed paper", "Works on paper"),
];
const OBJECT_MAKERS: &[&str] = &[
    "John Heathcoat & Co.", "Unknown maker", "Mary Bowden", "Great Western Railway", "Siân Evans", "W. Chave, Tiverton",
    "Bampton Pottery", "Ellen Quick", "Tiverton Photographic Studio", "",
];

/// How many objects the museum's generated collection has.
const OBJECTS: usize = 200;

/// Seeds the museum's collection through the importer (so demo objects are
/// indexed and stored exactly as imported ones), then links some stories to
/// objects. Returns how many objects were created. Resumable: the import is
/// skipped when the museum has the whole collection (otherwise its upserts,
/// by accession number, add only what a stopped run had not committed), and
/// a link that is there already is left as it is.
pub async fn seed_objects(db: &Db, museum: i64) -> Result<usize> {
    let created = if meetinghouse_store::objects::count(db, museum).await? >= OBJECTS as i64 { 0 } else { import_objects(db, museum).await? };
    // A few stories are about objects in the stores.
    let stories = meetinghouse_store::stories::recent_public(db, None, 40, 0).await?;
    let objects = meetinghouse_store::objects::list(db, museum, OBJECTS as i64, 0).await?;
    if objects.is_empty() {
        return Ok(created);
    }
    let mut tx = db.begin().await?;
    for (i, s) in stories.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
        let o = &objects[(i * 11) % objects.len()];
        meetinghouse_store::objects::link_story(&mut tx, s.id, o.id).await?;
    }
    tx.commit().await.map_err(meetinghouse_store::StoreError::from)?;
    Ok(created)
}

async fn import_objects(db: &Db, museum: i64) -> Result<usize> {
    use crate::collection::mapping::Source;
    use crate::collection::{ImportOptions, Mapping, import_records};
    let mut records = Vec::new();
    for i in 0..OBJECTS {
        let (thing, medium, class) = OBJECT_THINGS[i % OBJECT_THINGS.len()];
        let year = 1820 + ((i * 37) % 160) as i64;
        let date = match i % 4 {
            0 => format!("c. {year}"),
            1 => format!("{year}"),
            2 => format!("{}s", year / 10 * 10),
            _ => format!("{year}–{}", year + 5),
        };
        let (place, _, _) = PLACES[i % PLACES.len()];
        let fields = vec![
            ("Accession Number".to_string(), format!("TIV.{}.{:03}", 1950 + i / 20, i % 20 + 1)),
            ("Title".to_string(), if i < OBJECT_THINGS.len() { thing.to_string() } else { format!("{thing} ({})", i / OBJECT_THINGS.len() + 1) }),
            ("Maker".to_string(), OBJECT_MAKERS[(i * 3) % OBJECT_MAKERS.len()].to_string()),
            ("Date".to_string(), date),
            ("Medium".to_string(), medium.to_string()),
            ("Classification".to_string(), class.to_string()),
            ("Description".to_string(), format!("Found in {place}. {}", ["Given by a local family.", "From the old museum's first displays.", "Recorded by volunteers in the 2019 stores survey.", "Its story is not yet known: do you remember one like it?"][i % 4])),
            ("Credit Line".to_string(), format!("Given by a Tiverton family, {}", 1950 + i / 20)),
        ];
        records.push(Ok((format!("demo {i}"), Source::Row(fields))));
    }
    let options = ImportOptions { org_id: museum, mapping: Mapping::default(), format: None };
    let report = import_records(db, &options, records.into_iter(), &mut |_| {}).await?;
    Ok(report.created as usize)
}

/// What the generated demo pictures show, as alt text.
const PICTURE_ALTS: &[&str] = &[
    "Green hills under a pale sky, with the sun low on the left.",
    "A wide valley at dusk, the sun setting behind a ridge.",
    "Rolling fields under a bright blue sky with a yellow sun.",
    "A hillside in evening light, sky fading from blue to orange.",
    "Low hills and a big sky over the Exe valley.",
    "A summer landscape: dark green fields and a high sun.",
];

/// Gives every public story by a demo person a photo: a few generated
/// pictures, each processed once through the real media pipeline, shared
/// round-robin. Returns how many stories it gave photos: none when they all
/// have one (the photos are set in one transaction, after the uploads).
/// Resumable: pictures a stopped run uploaded and no story shows yet are
/// used again rather than uploaded twice.
pub async fn seed_photos(db: &Db, media: &meetinghouse_media::MediaStore, owner: &crate::Actor, authors: &std::collections::HashSet<i64>) -> Result<usize> {
    const PICTURES: usize = 12;
    let stories: Vec<_> = stories::recent_public(db, None, 200, 0).await?.into_iter().filter(|s| authors.contains(&s.author_person)).collect();
    let mut missing = false;
    for s in &stories {
        if meetinghouse_store::media::photos_of_story(db, s.id).await?.is_empty() {
            missing = true;
            break;
        }
    }
    if !missing {
        return Ok(0);
    }
    let mut left = left_by_a_stopped_run(db, owner.id).await?;
    let mut ids = Vec::new();
    for i in 0..PICTURES {
        let bytes = meetinghouse_media::generated_picture(i as u64 + 1, 1200, 800);
        if !left.is_empty()
            && let Some(id) = reuse(media, &mut left, bytes.clone()).await?
        {
            ids.push(id);
            continue;
        }
        match crate::media::upload(db, media, owner, bytes, meetinghouse_media::Limits::default()).await? {
            Ok(id) => ids.push(id),
            Err(e) => return Err(crate::CoreError::Internal(format!("a demo picture was refused: {}", e.0))),
        }
    }
    let mut tx = db.begin().await?;
    for (i, s) in stories.iter().enumerate() {
        let photo = (ids[i % ids.len()], PICTURE_ALTS[i % PICTURE_ALTS.len()].to_string(), if i % 3 == 0 { "Taken on a walk nearby.".to_string() } else { String::new() });
        meetinghouse_store::media::set_story_photos(&mut tx, s.id, &[photo]).await?;
    }
    tx.commit().await.map_err(meetinghouse_store::StoreError::from)?;
    Ok(stories.len())
}

/// Uploads by `owner` that no story shows: the pictures a stopped run
/// uploaded before it could give them to stories.
async fn left_by_a_stopped_run(db: &Db, owner: i64) -> Result<Vec<meetinghouse_store::media::MediaRow>> {
    let mut rows = Vec::new();
    for id in meetinghouse_store::media::unused_before(db, meetinghouse_store::now() + 1, 1_000).await? {
        if let Some(row) = meetinghouse_store::media::by_id(db, id).await?
            && row.owner_person == owner
        {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The id of an upload in `left` holding this picture (taken out of `left`),
/// with any of its images the stopped run had not stored put back.
async fn reuse(media: &meetinghouse_media::MediaStore, left: &mut Vec<meetinghouse_store::media::MediaRow>, bytes: Vec<u8>) -> Result<Option<i64>> {
    let processed = tokio::task::spawn_blocking(move || meetinghouse_media::process(&bytes, &meetinghouse_media::Limits::default()))
        .await
        .map_err(|e| crate::CoreError::Internal(format!("image processing stopped: {e}")))?
        .map_err(|e| crate::CoreError::Internal(format!("a demo picture was refused: {e}")))?;
    let Some(at) = left.iter().position(|m| m.master_key == processed.master.key) else { return Ok(None) };
    let stored = |e: meetinghouse_media::StoreError| crate::CoreError::Internal(format!("could not store a demo picture: {e}"));
    for v in processed.all() {
        if !media.exists(&v.key).await.map_err(stored)? {
            media.put(&v.key, &v.bytes, v.mime).await.map_err(stored)?;
        }
    }
    Ok(Some(left.remove(at).id))
}

//! People, stories and replies for core's tests, the same in every test file.
#![allow(dead_code)] // (each test binary uses some of these)

use meetinghouse_core::conversations::ReplyForm;
use meetinghouse_core::settings::Settings;
use meetinghouse_core::stories::{self, StoryForm};
use meetinghouse_core::subjects::Subject;
use meetinghouse_core::{Actor, Db, accounts};

/// An ordinary person, signed in: `{handle}@example.org`.
pub async fn person(db: &Db, handle: &str) -> Actor {
    let id = accounts::create_admin(db, &format!("{handle}@example.org"), handle, handle, "a long enough password").await.unwrap();
    meetinghouse_store::people::set_admin(db, id, false).await.unwrap();
    let mut a = accounts::login(db, &format!("{handle}@example.org"), "a long enough password").await.unwrap();
    a.is_admin = false;
    a
}

/// An instance admin, signed in.
pub async fn admin(db: &Db, handle: &str) -> Actor {
    accounts::create_admin(db, &format!("{handle}@example.org"), handle, handle, "a long enough password").await.unwrap();
    accounts::login(db, &format!("{handle}@example.org"), "a long enough password").await.unwrap()
}

/// A top-level reply.
pub fn reply(body: &str) -> ReplyForm {
    ReplyForm { body: body.into(), ..Default::default() }
}

/// An answer to reply `parent`.
pub fn to(parent: i64, body: &str) -> ReplyForm {
    ReplyForm { body: body.into(), parent_id: parent.to_string(), ..Default::default() }
}

/// A public story by `author`.
pub async fn story(db: &Db, s: &Settings, author: &Actor) -> Subject {
    let form = StoryForm { title: "Sundays on the canal".into(), body: "We walked.".into(), licence: "cc0".into(), visibility: "public".into(), ..Default::default() };
    Subject::Story(stories::create(db, s, author, &form).await.unwrap())
}

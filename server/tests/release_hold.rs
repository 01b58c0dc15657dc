//! "Choose another time" lets go of the patient's own hold at once; someone else's hold
//! is left alone.

mod common;

use common::*;
use domain::role::Role;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_patient_lets_go_of_their_own_hold_only(pool: PgPool) {
    let base = spawn_app(pool.clone()).await;
    let doctor = create_person(&pool, Role::Doctor, "Holddoc").await;
    daily_hours_and_slots(&pool, &[&doctor], "09:00", "17:00").await;
    let start = first_free_time_after_a_day(&pool).await;
    let owner = create_person(&pool, Role::Patient, "Holder").await;
    let other = create_person(&pool, Role::Patient, "Otherone").await;
    let (a, b) = (client(), client());
    log_in(&a, &base, &owner.email).await;
    log_in(&b, &base, &other.email).await;
    let held = call(
        &a,
        &base,
        "hold_time",
        &[("start", &start.to_rfc3339()), ("appointment_type_id", "1")],
    )
    .await;
    assert!(held.status().is_success() || held.status().is_redirection());
    let token: uuid::Uuid = sqlx::query_scalar(
        "select hold_token from availability_slots where status = 'held' and hold_patient_id = $1",
    )
    .bind(owner.role_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let status = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>(
            "select status from availability_slots where start_time = $1",
        )
        .bind(start)
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    // Another patient cannot release it.
    let by_other = call(&b, &base, "release_hold", &[("hold", &token.to_string())]).await;
    assert!(by_other.status().as_u16() < 400);
    assert_eq!(status(pool.clone()).await, "held");
    // Its owner can, and the time is offered again at once.
    let by_owner = call(&a, &base, "release_hold", &[("hold", &token.to_string())]).await;
    assert!(by_owner.status().as_u16() < 400);
    assert_eq!(status(pool.clone()).await, "free");
}

//! A doctor's display name has one rule, kept twice: the database function every query
//! uses (migration 017) and `domain::directory::doctor_display_name` for Rust. They agree.

use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

#[sqlx::test(migrator = "MIGRATOR")]
async fn the_database_and_rust_name_a_doctor_alike(pool: PgPool) {
    for (first, last) in [("Ada", "Okafor"), ("Zoë", "Ōtsuka-Nguyễn"), ("Jo", "")] {
        let in_sql: String = sqlx::query_scalar("select doctor_display_name($1, $2)")
            .bind(first)
            .bind(last)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(
            in_sql,
            domain::directory::doctor_display_name(first, last),
            "{first} {last}"
        );
    }
}

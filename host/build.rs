//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds the
//! migrations directories at compile time, and cargo does not otherwise know
//! it reads them.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}

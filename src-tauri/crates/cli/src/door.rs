//! The proof that the CLI has one door to the government APIs (issue #14): from this crate an unaudited lookup does
//! not compile. This library holds nothing but these doctests; the CLI itself is the `balcao-cli` binary.
//!
//! How the door is made. A `GovClient` is built and called only inside `balcao-service` (its `Session` for the CLI,
//! `Balcao` for the window), which records and audits every call; the client never leaves it (no public field,
//! method or re-export hands one out). The CLI and the shell do not depend on `balcao-gov`, so they cannot name
//! the client at all. `balcao-batch`, which the CLI uses to read lists, runs a batch only with a client it is given,
//! and the CLI has none to give: it goes through `Session::run_batch`.
//!
//! Why a dependency edge and not a feature. Cargo unifies the features of a crate across everything built together:
//! under `cargo test --workspace` a `test-support` feature of `balcao-gov` that some dev-dependency turned on
//! would be on for every crate, and a door kept by it would open for the CLI too. Dependency edges are not unified:
//! these doctests are compiled with `--extern` for this package's own dependencies and dev-dependencies only, in
//! every build. If someone adds `balcao-gov` to this package (even as a dev-dependency, "for a test"), the first
//! block below compiles, and the test fails. Each `compile_fail` block has a twin that compiles (the last one) so
//! that none of them fails for an unrelated reason (a typo, a missing import).
//!
//! Building a client from the CLI does not compile: `balcao-gov` is not a dependency.
//! ```compile_fail
//! let profile = balcao_core::profile::Profile::demo("http://127.0.0.1:1");
//! let _client = balcao_gov::GovClient::new(profile, balcao_gov::Credentials::demo());
//! ```
//! Nor through the service (it re-exports the profiles file and credential helpers, never the client):
//! ```compile_fail
//! let profile = balcao_core::profile::Profile::demo("http://127.0.0.1:1");
//! let credentials = balcao_service::gov_config::Credentials::demo();
//! let _client = balcao_service::gov_config::GovClient::new(profile, credentials);
//! ```
//! Nor through the batch crate:
//! ```compile_fail
//! let profile = balcao_core::profile::Profile::demo("http://127.0.0.1:1");
//! let _client = balcao_batch::GovClient::new(profile, balcao_service::gov_config::Credentials::demo());
//! ```
//! A session does not hand out its client:
//! ```compile_fail
//! async fn unaudited(session: &balcao_service::session::Session, doc: &balcao_core::Document) {
//!     let _ = session.client.lookup(doc, None).await;
//! }
//! ```
//! What compiles: a lookup through the session, which checks the purpose, audits and counts it.
//! ```no_run
//! async fn audited(session: &balcao_service::session::Session, doc: &balcao_core::Document) {
//!     let request = balcao_core::api::LookupRequest {
//!         input: doc.to_string(),
//!         view: None,
//!         purpose: Some("Protocolo 1".into()),
//!         authorization_code: None,
//!         do_not_record: false,
//!     };
//!     let _ = session.lookup(request).await;
//!     let _profile = balcao_core::profile::Profile::demo("http://127.0.0.1:1");
//!     let _credentials = balcao_service::gov_config::Credentials::demo();
//! }
//! ```

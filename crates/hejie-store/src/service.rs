//! The application's case operations: load the state, let the domain decide, append the result.

use hejie_domain::case::{CaseId, CaseNumber, CaseState, Command, Event, Meta, Register, handle};

use crate::{Committed, NewCase, Result, Store, StoreError};

/// Registers a new case. The store allocates the next number in the county's series for the
/// year of `meta.at`; `build` turns that number into the registration.
pub async fn register(
    store: &dyn Store,
    id: CaseId,
    meta: Meta,
    build: impl FnOnce(CaseNumber) -> Register + Send + 'static,
) -> Result<Committed> {
    store.create_case(new_case(id, meta, build)).await
}

/// The [`NewCase`] for a registration, for callers that batch several into one transaction.
pub fn new_case(
    id: CaseId,
    meta: Meta,
    build: impl FnOnce(CaseNumber) -> Register + Send + 'static,
) -> NewCase {
    NewCase {
        id,
        prefix: meta.division.county_prefix().to_owned(),
        year: meta.at.year_cst(),
        at: meta.at,
        build: Box::new(move |number| {
            handle(
                &CaseState::default(),
                meta,
                Command::Register(Box::new(build(number))),
            )
        }),
        effects: None,
    }
}

/// Runs one command against a case and records what it decides.
///
/// Fails with [`StoreError::Conflict`] when someone else changed the case between our read and
/// our write; the caller should reload and let the user decide again.
pub async fn execute(
    store: &dyn Store,
    case_id: CaseId,
    meta: Meta,
    command: Command,
) -> Result<Committed> {
    let state = store.load(case_id).await?;
    execute_on(store, &state, meta, command).await
}

/// Like [`execute`], on a state the caller already loaded (at the version it was loaded).
pub async fn execute_on(
    store: &dyn Store,
    state: &CaseState,
    meta: Meta,
    command: Command,
) -> Result<Committed> {
    // The rows are stamped with the command's own time, which the caller took from the
    // application's clock.
    let at = meta.at;
    let (events, next) = decide(state, meta, command)?;
    let case = next.case().cloned().ok_or(StoreError::NotFound)?;
    store
        .append(case.id, state.version(), events, case, at)
        .await
}

/// The events a command yields and the state after them, without writing anything.
pub fn decide(state: &CaseState, meta: Meta, command: Command) -> Result<(Vec<Event>, CaseState)> {
    if state.case().is_none() && !matches!(command, Command::Register(_)) {
        return Err(StoreError::NotFound);
    }
    let events = handle(state, meta, command)?;
    let mut next = state.clone();
    for e in &events {
        next.apply(e);
    }
    Ok((events, next))
}

//! The control plane of an inspector: every invoice whatever its `for-user-id`, filtered and
//! paged newest first, the scope a link was created in, and expiring a link without the API's
//! scope check.

use super::*;

/// Which invoices [`FakeGateway::browse`] lists. The default lists every invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceFilter {
    /// Keep the links in one of these statuses (none: every status).
    pub statuses: Vec<InvoiceStatus>,
    /// Keep the links whose `external_id` contains this text (case-sensitive).
    pub external_id: Option<String>,
}

/// Where a page of [`FakeGateway::browse`] starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PageStart {
    /// The newest matching invoices.
    #[default]
    Newest,
    /// The invoices created before this one (the next, older page).
    Before(String),
    /// The invoices created after this one (the previous, newer page).
    After(String),
}

/// One page of invoices, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoicePage {
    /// The invoices of the page, newest first.
    pub invoices: Vec<Invoice>,
    /// Whether newer matching invoices exist (a previous page).
    pub has_newer: bool,
    /// Whether older matching invoices exist (a next page).
    pub has_older: bool,
    /// How many invoices match the filter in all.
    pub total: usize,
}

impl FakeGateway {
    /// A page of at most `limit` invoices matching `filter`, newest first (creation order),
    /// whatever their `for-user-id`. A cursor naming an unknown invoice starts at the newest.
    pub fn browse(&self, filter: &InvoiceFilter, start: &PageStart, limit: usize) -> InvoicePage {
        let limit = limit.max(1);
        let state = self.state();
        let keep = |rec: &Record| {
            (filter.statuses.is_empty()
                || filter.statuses.contains(&rec.lifecycle.state().status()))
                && filter
                    .external_id
                    .as_deref()
                    .is_none_or(|text| rec.request.external_id().contains(text))
        };
        let records = &state.records;
        let total = records.iter().filter(|r| keep(r)).count();
        let cursor = |id: &str| state.seq_of(id).map(|s| s as usize);
        let (seqs, has_newer, has_older) = match start {
            PageStart::After(id) if cursor(id).is_some() => {
                let from = cursor(id).unwrap_or(0) + 1;
                let mut seqs: Vec<usize> = (from..records.len())
                    .filter(|&s| keep(&records[s]))
                    .take(limit + 1)
                    .collect();
                let has_newer = seqs.len() > limit;
                seqs.truncate(limit);
                seqs.reverse();
                let has_older = records[..from].iter().any(keep);
                (seqs, has_newer, has_older)
            }
            _ => {
                let (end, has_newer) = match start {
                    PageStart::Before(id) => match cursor(id) {
                        Some(s) => (s, records[s + 1..].iter().any(keep)),
                        None => (records.len(), false),
                    },
                    _ => (records.len(), false),
                };
                let mut seqs: Vec<usize> = (0..end)
                    .rev()
                    .filter(|&s| keep(&records[s]))
                    .take(limit + 1)
                    .collect();
                let has_older = seqs.len() > limit;
                seqs.truncate(limit);
                (seqs, has_newer, has_older)
            }
        };
        let invoices = seqs.into_iter().map(|s| self.build(&records[s])).collect();
        InvoicePage {
            invoices,
            has_newer,
            has_older,
            total,
        }
    }

    /// The `for-user-id` an invoice was created with: `None` for an unknown id, `Some(None)`
    /// for a link of the main account.
    pub fn for_user_id(&self, id: &str) -> Option<Option<String>> {
        let state = self.state();
        let seq = state.seq_of(id)?;
        Some(
            state.records[seq as usize]
                .scope
                .as_deref()
                .map(str::to_owned),
        )
    }

    /// Expires a PENDING link now, with its EXPIRED callback, whatever its `for-user-id` (the
    /// control plane's expire; the API's checks the scope).
    ///
    /// # Errors
    /// [`FakeError::NotFound`]; [`FakeError::AlreadyPaid`] for a PAID or SETTLED link;
    /// [`FakeError::Expired`] for a link already EXPIRED. Nothing changes.
    pub fn expire(&self, id: &str) -> Result<Invoice, FakeError> {
        let mut state = self.state();
        let seq = state
            .seq_of(id)
            .ok_or_else(|| FakeError::NotFound { id: id.to_owned() })?;
        let at = stamp(state.now);
        let mut lifecycle = state.records[seq as usize].lifecycle;
        lifecycle.apply(LinkEvent::Expire { at }).map_err(|e| {
            payments::transition_error(id, &state.records[seq as usize].lifecycle, e)
        })?;
        let rec = state.record_mut(seq);
        let expiry = rec.lifecycle.expiry_date();
        rec.lifecycle = lifecycle;
        state.expiry.remove(&(expiry, seq));
        self.changed();
        let invoice = self.build(&state.records[seq as usize]);
        self.emit(&mut state, seq, &invoice);
        Ok(invoice)
    }
}

//! The cost shown before starting: numbers and HTTP calls per API (CPF Light packs 50 CPFs per call), what the
//! quota has left, and the time at the profile's rate limit.

use std::collections::BTreeMap;

use balcao_core::Document;
use balcao_core::batch_api::{ApiEstimate, BatchEstimate, BatchPreview};
use balcao_core::record::{ApiKind, CnpjView};
use balcao_gov::{CPF_LIGHT_BATCH, GovClient};

use crate::batch::Batch;

/// The API a number goes to through `client`, or `None` when the profile has not contracted it (or the view).
pub(crate) fn api_of(client: &GovClient, doc: &Document, view: Option<CnpjView>) -> Option<ApiKind> {
    let api = client.api_for(doc)?;
    match (doc, view) {
        (Document::Cnpj(_), Some(v)) if !client.profile().has_view(v) => None,
        _ => Some(api),
    }
}

/// HTTP calls for `numbers` distinct numbers through `api`.
pub(crate) fn calls_for(api: ApiKind, numbers: u32) -> u32 {
    if api == ApiKind::ConectaCpfLight { numbers.div_ceil(CPF_LIGHT_BATCH as u32) } else { numbers }
}

impl Batch {
    /// What running the batch now through `client` would cost.
    pub fn estimate(&self, client: &GovClient) -> BatchEstimate {
        let mut per_api: BTreeMap<&'static str, (ApiKind, u32)> = BTreeMap::new();
        let mut not_contracted = 0u32;
        for (doc, v) in self.plan.numbers.iter().zip(&self.verdicts) {
            if v.is_some() {
                continue;
            }
            match api_of(client, doc, self.options.view) {
                Some(api) => per_api.entry(api.as_str()).or_insert((api, 0)).1 += 1,
                None => not_contracted += 1,
            }
        }
        let quota = client.quota();
        let by_api: Vec<ApiEstimate> = per_api
            .into_values()
            .map(|(api, numbers)| ApiEstimate {
                api,
                numbers,
                calls: calls_for(api, numbers),
                quota_remaining: quota.limit().map(|l| l.saturating_sub(quota.used(api))),
            })
            .collect();
        let calls: u32 = by_api.iter().map(|a| a.calls).sum();
        let rps = client.profile().network.rate_limit_rps.filter(|r| r.is_finite() && *r > 0.0);
        BatchEstimate {
            already_done: self.done_before,
            reused: self.reused,
            not_contracted,
            to_look_up: by_api.iter().map(|a| a.numbers).sum(),
            calls,
            billable_max: calls,
            quota_exceeded: by_api.iter().any(|a| a.quota_remaining.is_some_and(|r| u64::from(a.calls) > r)),
            by_api,
            seconds: rps.map(|r| (f64::from(calls) / r).ceil() as u32),
        }
    }

    /// What the clerk confirms before starting.
    pub fn preview(&self, client: &GovClient) -> BatchPreview {
        BatchPreview {
            file_name: self.file_name.clone(),
            encoding: self.table.encoding,
            delimiter: self.table.delimiter,
            has_header: self.plan.has_header,
            columns: self.plan.column_titles(),
            column: self.options.column.unwrap_or(1),
            sample: self.plan.sample.clone(),
            counts: self.plan.counts.clone(),
            invalid_sample: self.plan.invalid_sample.clone(),
            estimate: self.estimate(client),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use balcao_core::Cpf;
    use balcao_core::batch_api::BatchOptions;
    use balcao_core::profile::Profile;
    use balcao_gov::Credentials;

    fn list(n: u32) -> String {
        (100_000_000..100_000_000 + n)
            .map(|i| Cpf::with_check_digits(&i.to_string()).unwrap().to_string() + "\n")
            .collect()
    }

    #[test]
    fn light_packs_fifty_per_call_and_quota_is_compared() {
        let clerk = Cpf::parse("11144477735").unwrap();
        let mut profile = Profile::demo_conecta("http://127.0.0.1:9", clerk);
        profile.quota_limit = Some(2);
        profile.network.rate_limit_rps = Some(2.0);
        let client = GovClient::new(profile, Credentials::demo()).unwrap();
        let text = list(120) + "34238864000168\n";
        let b = Batch::prepare("l.txt", text.as_bytes(), &BatchOptions::default()).unwrap();
        let e = b.estimate(&client);
        assert_eq!((e.to_look_up, e.calls, e.not_contracted), (121, 4, 0));
        let light = e.by_api.iter().find(|a| a.api == ApiKind::ConectaCpfLight).unwrap();
        assert_eq!((light.numbers, light.calls, light.quota_remaining), (120, 3, Some(2)));
        assert!(e.quota_exceeded);
        assert_eq!(e.seconds, Some(2));
    }

    #[test]
    fn a_view_not_contracted_is_counted_apart() {
        let mut profile = Profile::demo("http://127.0.0.1:9");
        profile.cnpj_views = vec![balcao_core::record::CnpjView::Basica];
        let client = GovClient::new(profile, Credentials::demo()).unwrap();
        let opts = BatchOptions { view: Some(CnpjView::Empresa), ..Default::default() };
        let b = Batch::prepare("l.txt", b"34238864000168\n40442820135\n", &opts).unwrap();
        let e = b.estimate(&client);
        assert_eq!((e.to_look_up, e.calls, e.not_contracted, e.seconds), (1, 1, 1, None));
        assert!(!e.quota_exceeded);
        let p = b.preview(&client);
        assert_eq!((p.column, p.counts.unique, p.columns.len()), (1, 2, 1));
    }
}

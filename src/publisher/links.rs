//! Outbound links leave as tracked short links: one per (post, channel account, unit), with
//! UTM parameters on the destination. They are created (or found again, on a retry) for a
//! whole batch in two statements, so a delivery's text is the same on every attempt.

use std::collections::HashMap;

use crate::connectors::Credentials;
use crate::engagement::links::{self, LinkSpec};
use crate::store::{ChannelAccount, Delivery, LinkRow, PostContent, VariantRow};

use super::Publisher;

/// Per delivery: (original address, short link) pairs to substitute.
pub(super) type Substitutions = HashMap<i64, Vec<(String, String)>>;

/// `utm_source` and `utm_medium` for an account kind.
fn utm_source_medium(kind: &str) -> (&str, &'static str) {
    match kind {
        "wordpress" => ("portal", "website"),
        "webhook" => ("webhook", "referral"),
        other => (other, "social"),
    }
}

pub(super) async fn track(
    p: &Publisher,
    claimed: &[Delivery],
    accounts: &HashMap<i64, (ChannelAccount, Result<Credentials, String>)>,
    content: &HashMap<i64, (PostContent, Vec<VariantRow>)>,
) -> anyhow::Result<Substitutions> {
    // (delivery, spec) for every address in the post's link and its variant's text.
    let mut wanted: Vec<(i64, LinkSpec)> = Vec::new();
    for d in claimed {
        let (Some((post, variants)), Some((account, Ok(creds)))) =
            (content.get(&d.post_id), accounts.get(&d.account_id))
        else {
            continue;
        };
        let channel = creds.kind().channel();
        let variant = variants.iter().find(|v| v.channel == channel.as_str());
        let mut addresses: Vec<String> = post.link.iter().cloned().collect();
        if let Some(v) = variant {
            addresses.extend(links::find_urls(&v.summary));
            addresses.extend(links::find_urls(&v.body));
        }
        addresses.sort();
        addresses.dedup();
        for destination in addresses {
            // Links already pointing at Loa's short domain are left as they are.
            if destination.starts_with(&p.link_base)
                || links::check_destination(&destination).is_err()
            {
                continue;
            }
            wanted.push((
                d.delivery_id,
                LinkSpec {
                    campaign_id: post.campaign_id,
                    post_id: Some(post.post_id),
                    account_id: Some(account.account_id),
                    // A district's own account speaks for the district; a city account
                    // for the unit the post was written for, if any.
                    unit_id: account.unit_id.or(post.unit_id),
                    source: "post",
                    destination,
                },
            ));
        }
    }
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let mut unit_ids: Vec<i64> = wanted.iter().filter_map(|(_, s)| s.unit_id).collect();
    unit_ids.sort_unstable();
    unit_ids.dedup();
    let codes = p.store.area_code_map(&unit_ids).await?;
    let rows: Vec<LinkRow> = wanted
        .iter()
        .map(|(_, spec)| {
            let kind = spec
                .account_id
                .and_then(|a| accounts.get(&a))
                .map(|(a, _)| a.kind.as_str())
                .unwrap_or("");
            let (source, medium) = utm_source_medium(kind);
            let unit = spec
                .unit_id
                .and_then(|u| codes.get(&u).cloned())
                .unwrap_or_else(|| "city".into());
            let url = links::check_destination(&spec.destination).expect("checked above");
            LinkRow {
                spec,
                destination: links::with_utm(
                    &url,
                    source,
                    medium,
                    &format!("loa-{}", spec.campaign_id),
                    &unit,
                ),
                slug: links::new_slug(),
            }
        })
        .collect();
    let slugs = p.store.ensure_links(&rows).await?;
    let mut out: Substitutions = HashMap::new();
    for (d, spec) in &wanted {
        if let Some(slug) = slugs.get(&spec.key()) {
            out.entry(*d)
                .or_default()
                .push((spec.destination.clone(), format!("{}/{slug}", p.link_base)));
        }
    }
    Ok(out)
}

//! Text for people: HTML escaping, amounts written as each currency writes them, and dates.

use paylink_core::Currency;
use rust_decimal::Decimal;
use time::macros::format_description;
use time::OffsetDateTime;

/// Escapes text for use in HTML element content and in double-quoted attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An amount as a buyer in the currency's country reads it: `Rp 510.000`, `$100.50`,
/// `₱1,250.00`, `510.000 ₫`. The amount is rounded to the currency's decimal places (Xendit's
/// rule: none for IDR and VND, two for the others); no binary floating point is involved.
pub(crate) fn format_amount(amount: Decimal, currency: Currency) -> String {
    let places = currency.decimal_places();
    let mut rounded = amount.round_dp(places);
    rounded.rescale(places);
    let negative = rounded.is_sign_negative() && !rounded.is_zero();
    let (group_sep, decimal_sep) = match currency {
        Currency::Idr | Currency::Vnd => ('.', ','),
        Currency::Php | Currency::Thb | Currency::Myr | Currency::Usd => (',', '.'),
    };
    let number = paylink_core::group_thousands(rounded.abs(), group_sep, decimal_sep);
    let sign = if negative { "-" } else { "" };
    match currency {
        Currency::Idr => format!("{sign}Rp {number}"),
        Currency::Php => format!("{sign}₱{number}"),
        Currency::Thb => format!("{sign}฿{number}"),
        Currency::Vnd => format!("{sign}{number} ₫"),
        Currency::Myr => format!("{sign}RM {number}"),
        Currency::Usd => format!("{sign}${number}"),
    }
}

/// A quantity without trailing zeros (`2`, `1.5`).
pub(crate) fn format_quantity(quantity: Decimal) -> String {
    quantity.normalize().to_string()
}

/// A moment as `26 Nov 2026, 14:05 UTC`.
pub(crate) fn format_moment(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let fmt =
        format_description!("[day padding:none] [month repr:short] [year], [hour]:[minute] UTC");
    t.format(&fmt).unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use time::macros::datetime;

    #[test]
    fn amounts_are_written_as_each_currency_writes_them() {
        assert_eq!(format_amount(dec!(510000), Currency::Idr), "Rp 510.000");
        assert_eq!(format_amount(dec!(10000.0), Currency::Idr), "Rp 10.000");
        assert_eq!(format_amount(dec!(999), Currency::Idr), "Rp 999");
        assert_eq!(
            format_amount(dec!(1234567890), Currency::Idr),
            "Rp 1.234.567.890"
        );
        assert_eq!(format_amount(dec!(100.5), Currency::Usd), "$100.50");
        assert_eq!(format_amount(dec!(1250), Currency::Php), "₱1,250.00");
        assert_eq!(format_amount(dec!(0.99), Currency::Thb), "฿0.99");
        assert_eq!(format_amount(dec!(510000), Currency::Vnd), "510.000 ₫");
        assert_eq!(format_amount(dec!(12345.6), Currency::Myr), "RM 12,345.60");
        assert_eq!(format_amount(dec!(-5), Currency::Usd), "-$5.00");
    }

    #[test]
    fn html_special_characters_are_escaped() {
        assert_eq!(
            escape_html(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(escape_html("Kopi Kenangan"), "Kopi Kenangan");
    }

    #[test]
    fn quantities_drop_trailing_zeros() {
        assert_eq!(format_quantity(dec!(2.00)), "2");
        assert_eq!(format_quantity(dec!(1.50)), "1.5");
    }

    #[test]
    fn moments_are_written_in_utc() {
        assert_eq!(
            format_moment(datetime!(2026-11-26 14:05:09.5 +07:00)),
            "26 Nov 2026, 07:05 UTC"
        );
    }
}

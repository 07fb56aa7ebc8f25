//! UTC calendar arithmetic for the friendly form and the capacity report.
//!
//! Howard Hinnant's `days_from_civil`/`civil_from_days` (public domain):
//! exact for the proleptic Gregorian calendar, no tables, no_std. Written
//! here rather than pulling a date crate into a no_std core for two functions.

/// A UTC instant broken into calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // calendar fields, named as they read
pub struct Civil {
    pub year: u64,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub milli: u16,
}

/// Unix milliseconds (non-negative) to calendar fields.
pub fn from_unix_ms(ms: u64) -> Civil {
    let days = (ms / 86_400_000) as i64;
    let rem = ms % 86_400_000;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u64;
    Civil {
        year,
        month,
        day,
        hour: (rem / 3_600_000) as u8,
        minute: (rem / 60_000 % 60) as u8,
        second: (rem / 1000 % 60) as u8,
        milli: (rem % 1000) as u16,
    }
}

/// Calendar fields to Unix milliseconds; `None` when a field is out of range
/// (month 13, February 30, hour 24 …) or the instant precedes 1970.
pub fn to_unix_ms(c: Civil) -> Option<u64> {
    if !(1..=12).contains(&c.month) || c.day == 0 || c.hour > 23 || c.minute > 59 || c.second > 59 || c.milli > 999 {
        return None;
    }
    let leap = (c.year.is_multiple_of(4) && !c.year.is_multiple_of(100)) || c.year.is_multiple_of(400);
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if c.day > month_days[usize::from(c.month - 1)] || c.year < 1970 || c.year > 1_000_000_000 {
        return None;
    }
    let y = c.year as i64 - i64::from(c.month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(c.month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(c.day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ms = (days as u64).checked_mul(86_400_000)?;
    ms.checked_add(u64::from(c.hour) * 3_600_000 + u64::from(c.minute) * 60_000 + u64::from(c.second) * 1000 + u64::from(c.milli))
}

impl core::fmt::Display for Civil {
    /// ISO 8601 with milliseconds and `Z`, e.g. `2026-11-22T13:30:11.123Z`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.milli
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::string::ToString;

    #[test]
    fn known_instants() {
        assert_eq!(from_unix_ms(0).to_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(from_unix_ms(1_288_834_974_657).to_string(), "2010-11-04T01:42:54.657Z");
        assert_eq!(from_unix_ms(951_782_400_000).to_string(), "2000-02-29T00:00:00.000Z");
        assert_eq!(to_unix_ms(from_unix_ms(1_463_702_400_000)), Some(1_463_702_400_000));
    }

    #[test]
    fn round_trip_every_day_for_centuries() {
        let mut ms = 0u64;
        while ms < 10_000_000_000_000 {
            assert_eq!(to_unix_ms(from_unix_ms(ms)), Some(ms));
            ms += 86_400_000 * 7 + 3_723_456;
        }
    }

    #[test]
    fn rejects_impossible_dates() {
        let c = Civil {
            year: 2023,
            month: 2,
            day: 29,
            hour: 0,
            minute: 0,
            second: 0,
            milli: 0,
        };
        assert_eq!(to_unix_ms(c), None);
        assert_eq!(to_unix_ms(Civil { month: 13, ..c }), None);
        assert_eq!(to_unix_ms(Civil { year: 1969, day: 1, ..c }), None);
    }
}

//! An exact in-memory index of open slots, answering what `availability::open_start_times`
//! answers over the same slots, without asking the database.
//!
//! Per clinic day and doctor, the day's open slots as a bitset on the slot grid (bit `p` =
//! the slot starting `p` slot lengths after the day's first instant). A start time is open
//! for a `k`-slot visit where `k` consecutive bits are set: `b & b>>1 & … & b>>(k-1)`,
//! a word at a time. Held slots keep their hold's end: a lapsed hold counts as open, as in
//! SQL. A doctor-day whose slots are off the grid (left from an earlier slot length) keeps
//! its slots as a list and is walked the slow, general way; answers stay exact.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::availability::{open_start_times, FreeSlot, OpenTime};
use crate::schedule::{local_date, local_day_bounds};

/// One slot that may be open: free (`hold_expires` `None`) or held until `hold_expires`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexedSlot {
    pub doctor_id: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub hold_expires: Option<DateTime<Utc>>,
}

impl IndexedSlot {
    fn open_at(&self, now: DateTime<Utc>) -> bool {
        self.hold_expires.is_none_or(|e| e <= now)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DoctorDay {
    /// On the grid: free slots as bits, held ones with their hold's end.
    Grid {
        free: Bits,
        held: Vec<(u32, DateTime<Utc>)>,
    },
    /// Off the grid: the slots themselves.
    Slots(Vec<IndexedSlot>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Day {
    origin: DateTime<Utc>,
    positions: u32,
    doctors: HashMap<i64, DoctorDay>,
}

/// The index: built from the open slots of active doctors, updated a doctor at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotIndex {
    tz: Tz,
    step: Duration,
    days: BTreeMap<NaiveDate, Day>,
}

/// Words of a day's bitset: 320 positions, a 25-hour day of 5-minute slots (the shortest
/// slot length allowed). Fixed size: no allocation on the read path.
const WORDS: usize = 5;
type Bits = [u64; WORDS];
/// Bit planes of the per-position doctor counts: up to 2^20 - 1 doctors on one day.
const PLANES: usize = 20;

fn set(bits: &mut Bits, p: u32) {
    bits[(p / 64) as usize] |= 1 << (p % 64);
}

/// `bits >> n` across words (bit p of the result = bit p+n of `bits`).
fn shifted(bits: &Bits, n: u32) -> Bits {
    let (w, b) = ((n / 64) as usize, n % 64);
    let mut out = [0; WORDS];
    for (i, o) in out.iter_mut().enumerate() {
        let lo = bits.get(i + w).copied().unwrap_or(0);
        let hi = bits.get(i + w + 1).copied().unwrap_or(0);
        *o = if b == 0 {
            lo
        } else {
            (lo >> b) | (hi << (64 - b))
        };
    }
    out
}

impl SlotIndex {
    /// An empty index for a clinic in `tz` with slots of `step`.
    pub fn new(tz: Tz, step: Duration) -> Self {
        Self {
            tz,
            step,
            days: BTreeMap::new(),
        }
    }

    /// Built from every open slot of the active doctors.
    pub fn build(tz: Tz, step: Duration, slots: &[IndexedSlot]) -> Self {
        let mut index = Self::new(tz, step);
        let mut by_doctor: HashMap<i64, Vec<IndexedSlot>> = HashMap::new();
        for s in slots {
            by_doctor.entry(s.doctor_id).or_default().push(*s);
        }
        for (doctor_id, slots) in by_doctor {
            index.replace_doctor(doctor_id, &slots);
        }
        index
    }

    /// Built for this grid (time zone and slot length)?
    pub fn is_for(&self, tz: Tz, step: Duration) -> bool {
        self.tz == tz && self.step == step
    }

    /// How many doctor-days differ between two indexes.
    pub fn differences(&self, other: &SlotIndex) -> usize {
        if !other.is_for(self.tz, self.step) {
            return self.doctor_days().max(other.doctor_days());
        }
        let mut keys: std::collections::BTreeSet<(NaiveDate, i64)> =
            std::collections::BTreeSet::new();
        for index in [self, other] {
            for (date, day) in &index.days {
                keys.extend(day.doctors.keys().map(|d| (*date, *d)));
            }
        }
        fn get(i: &SlotIndex, (date, doctor): (NaiveDate, i64)) -> Option<&DoctorDay> {
            i.days.get(&date).and_then(|d| d.doctors.get(&doctor))
        }
        keys.into_iter()
            .filter(|k| get(self, *k) != get(other, *k))
            .count()
    }

    /// How many doctor-days the index holds.
    pub fn doctor_days(&self) -> usize {
        self.days.values().map(|d| d.doctors.len()).sum()
    }

    /// Approximate heap bytes held (for the memory figure).
    pub fn approx_bytes(&self) -> usize {
        self.days
            .values()
            .map(|d| {
                64 + d
                    .doctors
                    .values()
                    .map(|dd| {
                        48 + match dd {
                            DoctorDay::Grid { held, .. } => WORDS * 8 + held.len() * 16,
                            DoctorDay::Slots(s) => s.len() * std::mem::size_of::<IndexedSlot>(),
                        }
                    })
                    .sum::<usize>()
            })
            .sum()
    }

    /// Replaces everything known of one doctor with `slots` (their open slots; none when
    /// the doctor is inactive or gone).
    pub fn replace_doctor(&mut self, doctor_id: i64, slots: &[IndexedSlot]) {
        self.replace(doctor_id, None, slots);
    }

    /// Replaces what is known of one doctor on the clinic days `first..=last` with `slots`
    /// (their open slots on those days; slots on other days are ignored). A booking
    /// touches one day: its reload reads that day, not the doctor's whole horizon.
    pub fn replace_doctor_days(
        &mut self,
        doctor_id: i64,
        first: NaiveDate,
        last: NaiveDate,
        slots: &[IndexedSlot],
    ) {
        if first <= last {
            self.replace(doctor_id, Some((first, last)), slots);
        }
    }

    /// The clinic's time zone the index's days are in.
    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    fn replace(
        &mut self,
        doctor_id: i64,
        days: Option<(NaiveDate, NaiveDate)>,
        slots: &[IndexedSlot],
    ) {
        let within =
            |date: &NaiveDate| days.is_none_or(|(first, last)| (first..=last).contains(date));
        match days {
            None => self.days.values_mut().for_each(|day| {
                day.doctors.remove(&doctor_id);
            }),
            Some((first, last)) => self.days.range_mut(first..=last).for_each(|(_, day)| {
                day.doctors.remove(&doctor_id);
            }),
        }
        let mut per_day: BTreeMap<NaiveDate, Vec<IndexedSlot>> = BTreeMap::new();
        for s in slots.iter().filter(|s| s.doctor_id == doctor_id) {
            let date = local_date(self.tz, s.start);
            if within(&date) {
                per_day.entry(date).or_default().push(*s);
            }
        }
        for (date, mut slots) in per_day {
            slots.sort_by_key(|s| s.start);
            let (origin, end) = local_day_bounds(self.tz, date);
            let step = self.step.num_seconds().max(1);
            let positions = ((end - origin).num_seconds() / step) as u32;
            let day = self.days.entry(date).or_insert_with(|| Day {
                origin,
                positions,
                doctors: HashMap::new(),
            });
            let on_grid = slots.iter().all(|s| {
                let offset = (s.start - origin).num_seconds();
                s.end - s.start == self.step
                    && offset >= 0
                    && offset % step == 0
                    && ((offset / step) as u32) < positions
                    && s.end <= end
            }) && positions as usize <= WORDS * 64;
            let entry = if on_grid {
                let mut free = [0; WORDS];
                let mut held = Vec::new();
                for s in &slots {
                    let p = ((s.start - origin).num_seconds() / step) as u32;
                    match s.hold_expires {
                        None => set(&mut free, p),
                        Some(e) => held.push((p, e)),
                    }
                }
                DoctorDay::Grid { free, held }
            } else {
                DoctorDay::Slots(slots)
            };
            day.doctors.insert(doctor_id, entry);
        }
        self.days.retain(|_, d| !d.doctors.is_empty());
    }

    /// Open start times in `[from, to)` for `k` consecutive slots at `now`, with how many
    /// doctors could take each, in time order. Exactly `open_start_times` over the same
    /// open slots, for runs inside one clinic day (hours never cross midnight).
    pub fn open_times(
        &self,
        k: usize,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<OpenTime> {
        self.open_times_of(Doctors::All, k, from, to, now)
    }

    /// [`open_times`](Self::open_times) counting only `doctors` (e.g. those who offer a
    /// visit type, or one chosen doctor): the same as the reference over their slots only.
    pub fn open_times_of(
        &self,
        doctors: Doctors<'_>,
        k: usize,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<OpenTime> {
        let mut out = Vec::new();
        self.each_day(doctors, k, from, to, now, |mut times| {
            out.append(&mut times);
            false
        });
        out
    }

    /// The first open start time in `[from, to)`, looking a day at a time.
    pub fn first_open(
        &self,
        k: usize,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        self.first_open_of(Doctors::All, k, from, to, now)
    }

    /// [`first_open`](Self::first_open) among `doctors` only.
    pub fn first_open_of(
        &self,
        doctors: Doctors<'_>,
        k: usize,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let mut first = None;
        self.each_day(doctors, k, from, to, now, |times| {
            first = times.first().map(|t| t.start);
            first.is_some()
        });
        first
    }

    /// Calls `visit` with each day's open times in order until it returns `true`.
    fn each_day(
        &self,
        doctors: Doctors<'_>,
        k: usize,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
        mut visit: impl FnMut(Vec<OpenTime>) -> bool,
    ) {
        if k == 0 || from >= to {
            return;
        }
        let first = local_date(self.tz, from);
        let last = local_date(self.tz, to);
        for (_, day) in self.days.range(first..=last) {
            // One loop per kind of filter, each compiled for its iterator: asking for every
            // doctor costs what it did before there was a filter.
            let times = match doctors {
                Doctors::All => day.open_times(day.doctors.iter(), self.step, k, from, to, now),
                Doctors::Among(ids) => day.open_times(
                    ids.iter().filter_map(|id| day.doctors.get_key_value(id)),
                    self.step,
                    k,
                    from,
                    to,
                    now,
                ),
                Doctors::One(id) => day.open_times(
                    day.doctors.get_key_value(&id).into_iter(),
                    self.step,
                    k,
                    from,
                    to,
                    now,
                ),
            };
            if !times.is_empty() && visit(times) {
                return;
            }
        }
    }
}

/// Whose open times to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doctors<'a> {
    /// Every doctor in the index.
    All,
    /// Only these (e.g. the doctors who offer a visit type); each listed once.
    Among(&'a [i64]),
    /// One doctor (a patient's chosen or usual doctor).
    One(i64),
}

impl Day {
    fn open_times<'d>(
        &'d self,
        doctors: impl Iterator<Item = (&'d i64, &'d DoctorDay)>,
        step: Duration,
        k: usize,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<OpenTime> {
        // Per position, how many doctors can start there, counted word-parallel in
        // bit-sliced counters (plane i holds bit i of every position's count): adding a
        // doctor's run is a ripple carry over a few planes, not an increment per bit.
        let words = (self.positions as usize).div_ceil(64).min(WORDS);
        let mut planes = [[0_u64; WORDS]; PLANES];
        let mut off_grid: Vec<FreeSlot> = Vec::new();
        for (&doctor_id, dd) in doctors {
            match dd {
                DoctorDay::Grid { free, held } => {
                    let mut bits = *free;
                    for &(p, expires) in held {
                        if expires <= now {
                            set(&mut bits, p);
                        }
                    }
                    let mut run = bits;
                    for n in 1..k as u32 {
                        let next = shifted(&bits, n);
                        for (r, s) in run.iter_mut().zip(next) {
                            *r &= s;
                        }
                    }
                    let mut carry = run;
                    for plane in planes.iter_mut() {
                        let mut more = 0;
                        for w in 0..words {
                            let c = plane[w] & carry[w];
                            plane[w] ^= carry[w];
                            carry[w] = c;
                            more |= c;
                        }
                        if more == 0 {
                            break;
                        }
                    }
                }
                DoctorDay::Slots(slots) => {
                    off_grid.extend(slots.iter().filter(|s| s.open_at(now)).map(|s| FreeSlot {
                        doctor_id,
                        start: s.start,
                        end: s.end,
                    }))
                }
            }
        }
        let mut on_grid = Vec::new();
        for w in 0..words {
            let mut any = planes.iter().fold(0, |acc, plane| acc | plane[w]);
            while any != 0 {
                let b = any.trailing_zeros();
                any &= any - 1;
                let p = w * 64 + b as usize;
                if p >= self.positions as usize {
                    break;
                }
                let doctors = planes
                    .iter()
                    .enumerate()
                    .map(|(i, plane)| (((plane[w] >> b) & 1) as u32) << i)
                    .sum();
                let start = self.origin + step * p as i32;
                if start >= from && start < to {
                    on_grid.push(OpenTime { start, doctors });
                }
            }
        }
        let on_grid = on_grid.into_iter();
        if off_grid.is_empty() {
            return on_grid.collect();
        }
        let mut merged: BTreeMap<DateTime<Utc>, u32> =
            on_grid.map(|o| (o.start, o.doctors)).collect();
        for o in open_start_times(&off_grid, k, from, to) {
            *merged.entry(o.start).or_default() += o.doctors;
        }
        merged
            .into_iter()
            .map(|(start, doctors)| OpenTime { start, doctors })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    const NY: Tz = chrono_tz::America::New_York;

    fn slots_from(
        spec: &[(i64, u32, u32, u8)],
        day: NaiveDate,
        step_min: i64,
        now: DateTime<Utc>,
    ) -> Vec<IndexedSlot> {
        // (doctor, day offset, position, state): 0 free, 1 held (live), 2 held (lapsed),
        // 3 off-grid free (shifted by 5 minutes), 4 not open (absent).
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for &(doctor, offset, pos, state) in spec {
            if !seen.insert((doctor, offset, pos)) {
                continue;
            }
            let date = day + Duration::days(offset as i64);
            let (origin, end) = local_day_bounds(NY, date);
            let mut start = origin + Duration::minutes(step_min * pos as i64);
            if state == 3 {
                start += Duration::minutes(5);
            }
            let end_of = start + Duration::minutes(step_min);
            // Clinic hours never reach midnight: keep an hour clear at either end.
            if start < origin + Duration::hours(1)
                || end_of > end - Duration::hours(1)
                || state == 4
            {
                continue;
            }
            out.push(IndexedSlot {
                doctor_id: doctor,
                start,
                end: end_of,
                hold_expires: match state {
                    1 => Some(now + Duration::minutes(3)),
                    2 => Some(now - Duration::minutes(3)),
                    _ => None,
                },
            });
        }
        // Off-grid slots may overlap grid ones of the same doctor; the schema forbids
        // that, so drop any overlap.
        out.sort_by_key(|s| (s.doctor_id, s.start));
        let mut kept: Vec<IndexedSlot> = Vec::new();
        for s in out {
            if kept
                .last()
                .is_some_and(|l| l.doctor_id == s.doctor_id && l.end > s.start)
            {
                continue;
            }
            kept.push(s);
        }
        kept
    }

    fn reference(
        slots: &[IndexedSlot],
        k: usize,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<OpenTime> {
        let free: Vec<FreeSlot> = slots
            .iter()
            .filter(|s| s.open_at(now))
            .map(|s| FreeSlot {
                doctor_id: s.doctor_id,
                start: s.start,
                end: s.end,
            })
            .collect();
        open_start_times(&free, k, from, to)
    }

    proptest! {
        /// Random slot states on days including both 2030 DST changes: the index answers
        /// what the reference answers, for every visit length and window.
        #[test]
        fn the_index_answers_exactly_what_the_walk_answers(
            spec in prop::collection::vec((1_i64..6, 0_u32..4, 0_u32..60, 0_u8..5), 0..300),
            first_day in prop::sample::select(vec![
                NaiveDate::from_ymd_opt(2030, 3, 9).unwrap(),
                NaiveDate::from_ymd_opt(2030, 11, 2).unwrap(),
                NaiveDate::from_ymd_opt(2030, 6, 10).unwrap(),
            ]),
            step_min in prop::sample::select(vec![15_i64, 30, 60]),
            k in 1_usize..5,
            from_h in 0_i64..72,
            len_h in 1_i64..96,
        ) {
            let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + Duration::days(
                (first_day - NaiveDate::from_ymd_opt(2030, 1, 1).unwrap()).num_days());
            let slots = slots_from(&spec, first_day, step_min, now);
            let index = SlotIndex::build(NY, Duration::minutes(step_min), &slots);
            let (origin, _) = local_day_bounds(NY, first_day);
            let from = origin + Duration::hours(from_h);
            let to = from + Duration::hours(len_h);
            prop_assert_eq!(index.open_times(k, from, to, now), reference(&slots, k, from, to, now));
            prop_assert_eq!(
                index.first_open(k, from, to, now),
                reference(&slots, k, from, to, now).first().map(|o| o.start)
            );
        }

        /// Counting only some doctors (a visit type's, or one) answers what the walk
        /// answers over those doctors' slots alone.
        #[test]
        fn the_index_answers_for_some_doctors_exactly_what_the_walk_answers(
            spec in prop::collection::vec((1_i64..8, 0_u32..3, 0_u32..60, 0_u8..5), 0..300),
            chosen in prop::collection::btree_set(0_i64..9, 0..5),
            one in 0_i64..9,
            k in 1_usize..4,
            from_h in 0_i64..48,
            len_h in 1_i64..72,
        ) {
            let day = NaiveDate::from_ymd_opt(2030, 3, 9).unwrap(); // DST starts on the 10th
            let now = Utc.with_ymd_and_hms(2030, 3, 1, 0, 0, 0).unwrap();
            let slots = slots_from(&spec, day, 30, now);
            let index = SlotIndex::build(NY, Duration::minutes(30), &slots);
            let (origin, _) = local_day_bounds(NY, day);
            let (from, to) = (origin + Duration::hours(from_h), origin + Duration::hours(from_h + len_h));
            let ids: Vec<i64> = chosen.iter().copied().collect();
            let theirs: Vec<IndexedSlot> =
                slots.iter().copied().filter(|s| chosen.contains(&s.doctor_id)).collect();
            let expected = reference(&theirs, k, from, to, now);
            prop_assert_eq!(index.open_times_of(Doctors::Among(&ids), k, from, to, now), expected.clone());
            prop_assert_eq!(
                index.first_open_of(Doctors::Among(&ids), k, from, to, now),
                expected.first().map(|o| o.start)
            );
            let only: Vec<IndexedSlot> = slots.iter().copied().filter(|s| s.doctor_id == one).collect();
            prop_assert_eq!(
                index.open_times_of(Doctors::One(one), k, from, to, now),
                reference(&only, k, from, to, now)
            );
            prop_assert_eq!(
                index.open_times_of(Doctors::All, k, from, to, now),
                reference(&slots, k, from, to, now)
            );
        }

        /// Replacing one doctor's slots equals building afresh.
        #[test]
        fn replacing_a_doctor_equals_a_rebuild(
            before in prop::collection::vec((1_i64..4, 0_u32..2, 0_u32..40, 0_u8..5), 0..120),
            after in prop::collection::vec((2_i64..3, 0_u32..2, 0_u32..40, 0_u8..5), 0..60),
        ) {
            let day = NaiveDate::from_ymd_opt(2030, 6, 10).unwrap();
            let now = Utc.with_ymd_and_hms(2030, 6, 1, 0, 0, 0).unwrap();
            let old = slots_from(&before, day, 30, now);
            let new_two = slots_from(&after, day, 30, now);
            let mut index = SlotIndex::build(NY, Duration::minutes(30), &old);
            index.replace_doctor(2, &new_two);
            let mut all: Vec<IndexedSlot> = old.into_iter().filter(|s| s.doctor_id != 2).collect();
            all.extend(new_two);
            let fresh = SlotIndex::build(NY, Duration::minutes(30), &all);
            let (from, _) = local_day_bounds(NY, day);
            let to = from + Duration::days(3);
            for k in 1..4 {
                prop_assert_eq!(index.open_times(k, from, to, now), fresh.open_times(k, from, to, now));
            }
            prop_assert_eq!(index.differences(&fresh), 0);
        }

        /// Replacing one doctor's slots on some days (what a booking's notification
        /// reloads) equals building afresh; their other days stay as they were.
        #[test]
        fn replacing_a_doctors_days_equals_a_rebuild(
            before in prop::collection::vec((1_i64..4, 0_u32..4, 0_u32..40, 0_u8..5), 0..160),
            after in prop::collection::vec((2_i64..3, 0_u32..4, 0_u32..40, 0_u8..5), 0..80),
            first in 0_u32..4,
            len in 0_u32..3,
        ) {
            let day = NaiveDate::from_ymd_opt(2030, 3, 9).unwrap(); // DST starts on the 10th
            let now = Utc.with_ymd_and_hms(2030, 3, 1, 0, 0, 0).unwrap();
            let old = slots_from(&before, day, 30, now);
            let changed = slots_from(&after, day, 30, now);
            let (first, last) = (day + Duration::days(first.into()), day + Duration::days((first + len).into()));
            let on = |s: &IndexedSlot| (first..=last).contains(&local_date(NY, s.start));
            let mut index = SlotIndex::build(NY, Duration::minutes(30), &old);
            // The reload reads the doctor's slots on those days only; give it more, too:
            // what lies outside the days must be ignored.
            index.replace_doctor_days(2, first, last, &changed);
            let mut all: Vec<IndexedSlot> =
                old.into_iter().filter(|s| s.doctor_id != 2 || !on(s)).collect();
            all.extend(changed.into_iter().filter(on));
            let fresh = SlotIndex::build(NY, Duration::minutes(30), &all);
            prop_assert_eq!(index.differences(&fresh), 0);
            let (from, _) = local_day_bounds(NY, day);
            let to = from + Duration::days(5);
            for k in 1..4 {
                prop_assert_eq!(index.open_times(k, from, to, now), fresh.open_times(k, from, to, now));
            }
        }
    }

    /// The bit-sliced counters carry through many planes: 1,000 doctors on one day, the next
    /// position open for every third of them too.
    #[test]
    fn counts_of_many_doctors_are_exact() {
        let day = NaiveDate::from_ymd_opt(2030, 6, 10).unwrap();
        let now = Utc.with_ymd_and_hms(2030, 6, 1, 0, 0, 0).unwrap();
        let spec: Vec<(i64, u32, u32, u8)> = (0..1000)
            .flat_map(|d| {
                let mut own = vec![(d, 0, 20, 0)];
                if d % 3 == 0 {
                    own.push((d, 0, 21, 0));
                }
                own
            })
            .collect();
        let slots = slots_from(&spec, day, 30, now);
        let index = SlotIndex::build(NY, Duration::minutes(30), &slots);
        let (from, to) = local_day_bounds(NY, day);
        let counts: Vec<u32> = index
            .open_times(1, from, to, now)
            .iter()
            .map(|o| o.doctors)
            .collect();
        assert_eq!(counts, vec![1000, 334]);
        assert_eq!(
            index.open_times(1, from, to, now),
            reference(&slots, 1, from, to, now)
        );
        let long: Vec<u32> = index
            .open_times(2, from, to, now)
            .iter()
            .map(|o| o.doctors)
            .collect();
        assert_eq!(long, vec![334]);
    }

    #[test]
    fn shifting_crosses_word_boundaries() {
        let bits = [1_u64 << 63, 0b101, 0, 0, 1];
        assert_eq!(
            shifted(&bits, 1),
            [(1 << 62) | (1 << 63), 0b10, 0, 1 << 63, 0]
        );
        assert_eq!(shifted(&bits, 64), [0b101, 0, 0, 1, 0]);
        assert_eq!(shifted(&bits, 65), [0b10, 0, 1 << 63, 0, 0]);
    }
}

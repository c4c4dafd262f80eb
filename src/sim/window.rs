//! The window operator (`WindowOperator`): tumbling and sliding windows
//! whose extents every key shares ([`aligned`]), and session windows that
//! merge per key ([`session`]); the window function decides the value
//! layout ([`ValueModel`]: a list of elements, one accumulator, or the
//! latest element).

mod aligned;
mod session;

use super::operator::OperatorUser;
use super::writes::StateWrites;
use super::{OperatorSpec, RunStats};
use crate::flink::serializer::ValueLayout;
use crate::scenario::{Assigner, TimeCharacteristic, WindowFunction, WindowOperator};
use crate::workload::KeySpace;

/// Calls `user` with the engine constructor of `spec`'s window kind and
/// value layout. `writes` hears the state writes of the first engine made
/// (runs that listen to writes make one); session windows do not report
/// writes yet.
pub(super) fn with_window<U: OperatorUser, W: StateWrites + Default + Send>(
    spec: &OperatorSpec,
    keys: &KeySpace,
    writes: W,
    user: U,
) -> RunStats {
    match value_layout(&spec.op) {
        ValueLayout::List => with_value(spec, keys, ListValue, writes, user),
        ValueLayout::Accumulator(b) => with_value(spec, keys, AccValue(b), writes, user),
        ValueLayout::Single => with_value(spec, keys, SingleValue { variable: true }, writes, user),
    }
}

fn with_value<V: ValueModel + Send + Sync, U: OperatorUser, W: StateWrites + Default + Send>(
    spec: &OperatorSpec,
    keys: &KeySpace,
    v: V,
    writes: W,
    user: U,
) -> RunStats {
    let writes = std::sync::Mutex::new(Some(writes));
    let take = || {
        writes
            .lock()
            .map(|mut w| w.take().unwrap_or_default())
            .unwrap_or_default()
    };
    let processing = spec.op.time == TimeCharacteristic::Processing;
    let lateness = if processing {
        0
    } else {
        spec.op.allowed_lateness_ms
    };
    let kgs = spec.max_parallelism as usize;
    match spec.op.assigner {
        Assigner::Tumbling { size_ms, offset_ms } => user.run(|| {
            aligned::Aligned::new(
                keys,
                kgs,
                size_ms,
                size_ms,
                offset_ms,
                lateness,
                processing,
                v,
                take(),
            )
        }),
        Assigner::Sliding {
            size_ms,
            slide_ms,
            offset_ms,
        } => user.run(|| {
            aligned::Aligned::new(
                keys,
                kgs,
                size_ms,
                slide_ms,
                offset_ms,
                lateness,
                processing,
                v,
                take(),
            )
        }),
        Assigner::Session { gap_ms } => {
            user.run(|| session::Sessions::new(keys, kgs, gap_ms, lateness, processing, v, take()))
        }
    }
}

/// Per-element value bytes of the window function, monomorphized into the
/// engines so the loop has no function-kind branch.
pub trait ValueModel: Copy {
    /// Value bytes of a new entry holding one element of `bytes`.
    fn first(self, bytes: u64) -> u64;
    /// Added value bytes when an element of `bytes` joins an entry whose
    /// last element had `last` bytes.
    fn add(self, bytes: u64, last: u64) -> i64;
    /// Whether `add` depends on the last element's size.
    fn needs_last(self) -> bool;
    /// Value bytes of merging two entries (session windows).
    fn merge(self, a: u64, b: u64) -> u64;
}

/// `ListState`: `4 + sum(elements)`.
#[derive(Clone, Copy)]
pub struct ListValue;
impl ValueModel for ListValue {
    #[inline(always)]
    fn first(self, bytes: u64) -> u64 {
        4 + bytes
    }
    #[inline(always)]
    fn add(self, bytes: u64, _: u64) -> i64 {
        bytes as i64
    }
    fn needs_last(self) -> bool {
        false
    }
    fn merge(self, a: u64, b: u64) -> u64 {
        a + b - 4
    }
}

/// One accumulator of fixed size.
#[derive(Clone, Copy)]
pub struct AccValue(pub u64);
impl ValueModel for AccValue {
    #[inline(always)]
    fn first(self, _: u64) -> u64 {
        self.0
    }
    #[inline(always)]
    fn add(self, _: u64, _: u64) -> i64 {
        0
    }
    fn needs_last(self) -> bool {
        false
    }
    fn merge(self, _: u64, _: u64) -> u64 {
        self.0
    }
}

/// One element: the latest (the reduce result's size is the last input's).
#[derive(Clone, Copy)]
pub struct SingleValue {
    /// Sizes vary: the last size must be tracked.
    pub variable: bool,
}
impl ValueModel for SingleValue {
    #[inline(always)]
    fn first(self, bytes: u64) -> u64 {
        bytes
    }
    #[inline(always)]
    fn add(self, bytes: u64, last: u64) -> i64 {
        if self.variable {
            bytes as i64 - last as i64
        } else {
            0
        }
    }
    fn needs_last(self) -> bool {
        self.variable
    }
    fn merge(self, _: u64, b: u64) -> u64 {
        b
    }
}

/// The value layout of an operator's window function.
pub fn value_layout(op: &WindowOperator) -> ValueLayout {
    match op.function {
        WindowFunction::Process | WindowFunction::Apply => ValueLayout::List,
        WindowFunction::Aggregate { accumulator_bytes } => {
            ValueLayout::Accumulator(accumulator_bytes as u64)
        }
        WindowFunction::Reduce => ValueLayout::Single,
    }
}

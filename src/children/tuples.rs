//! The places of a tuple's futures: each future, then what it keeps of its output, stored at
//! its own size beside the others in one allocation (an enum over the positions would give
//! every position the size of the largest future). Public only so that the tuple traits can
//! name them.

use core::fmt;
use core::pin::Pin;

use pin_project::pin_project;

use super::Child;
pub use super::{PollSlots, Slots};

/// The marker with which [`select_cancel`](crate::select_cancel) polls a tuple.
#[derive(Debug)]
pub struct Select;

/// The marker with which [`try_join_cancel`](crate::try_join_cancel) polls a tuple.
#[derive(Debug)]
pub struct TryJoin;

macro_rules! tuple {
    ($Tuple:ident, $At:ident, $len:literal: $($i:literal $field:ident $F:ident $K:ident),+) => {
        /// Futures of different types side by side, each at its own size; each keeps its
        /// output (of the type after the futures' ones) once it completed.
        #[pin_project]
        pub struct $Tuple<$($F),+, $($K),+> {
            $(#[pin] pub(crate) $field: Child<$F, $K>,)+
        }

        /// What one future of a tuple kept, named by its position.
        #[derive(Debug)]
        pub enum $At<$($K),+> {
            $(
                #[allow(missing_docs)]
                $F($K),
            )+
        }

        impl<$($F),+, $($K),+> fmt::Debug for $Tuple<$($F),+, $($K),+> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($Tuple)).finish_non_exhaustive()
            }
        }

        impl<$($F),+, $($K),+> $Tuple<$($F),+, $($K),+> {
            pub(crate) fn new(($($field,)+): ($($F,)+)) -> Self {
                $Tuple {
                    $($field: Child::Running($field),)+
                }
            }
        }

        impl<$($F),+, $($K),+> Slots for $Tuple<$($F),+, $($K),+> {
            type Kept = $At<$($K),+>;

            fn count(&self) -> usize {
                $len
            }

            fn is_gone(self: Pin<&mut Self>, i: usize) -> bool {
                let places = self.project();
                match i {
                    $($i => places.$field.is_gone(),)+
                    _ => true,
                }
            }

            fn keep(self: Pin<&mut Self>, i: usize, kept: Self::Kept) {
                let places = self.project();
                match kept {
                    $($At::$F(value) => {
                        debug_assert_eq!(i, $i, "an output kept in another position");
                        places.$field.keep(value);
                    })+
                }
            }

            fn clear(self: Pin<&mut Self>, i: usize) {
                let places = self.project();
                match i {
                    $($i => places.$field.clear(),)+
                    _ => {}
                }
            }

            fn take(self: Pin<&mut Self>, i: usize) -> Option<Self::Kept> {
                let places = self.project();
                match i {
                    $($i => places.$field.take_done().map($At::$F),)+
                    _ => None,
                }
            }
        }
    };
}

tuple!(Tuple1, At1, 1: 0 a A KA);
tuple!(Tuple2, At2, 2: 0 a A KA, 1 b B KB);
tuple!(Tuple3, At3, 3: 0 a A KA, 1 b B KB, 2 c C KC);
tuple!(Tuple4, At4, 4: 0 a A KA, 1 b B KB, 2 c C KC, 3 d D KD);
tuple!(Tuple5, At5, 5: 0 a A KA, 1 b B KB, 2 c C KC, 3 d D KD, 4 e E KE);
tuple!(Tuple6, At6, 6: 0 a A KA, 1 b B KB, 2 c C KC, 3 d D KD, 4 e E KE, 5 f F KF);
tuple!(Tuple7, At7, 7: 0 a A KA, 1 b B KB, 2 c C KC, 3 d D KD, 4 e E KE, 5 f F KF, 6 g G KG);
tuple!(Tuple8, At8, 8: 0 a A KA, 1 b B KB, 2 c C KC, 3 d D KD, 4 e E KE, 5 f F KF, 6 g G KG,
    7 h H KH);
tuple!(Tuple9, At9, 9: 0 a A KA, 1 b B KB, 2 c C KC, 3 d D KD, 4 e E KE, 5 f F KF, 6 g G KG,
    7 h H KH, 8 i I KI);
tuple!(Tuple10, At10, 10: 0 a A KA, 1 b B KB, 2 c C KC, 3 d D KD, 4 e E KE, 5 f F KF,
    6 g G KG, 7 h H KH, 8 i I KI, 9 j J KJ);
tuple!(Tuple11, At11, 11: 0 a A KA, 1 b B KB, 2 c C KC, 3 d D KD, 4 e E KE, 5 f F KF,
    6 g G KG, 7 h H KH, 8 i I KI, 9 j J KJ, 10 k K KK);
tuple!(Tuple12, At12, 12: 0 a A KA, 1 b B KB, 2 c C KC, 3 d D KD, 4 e E KE, 5 f F KF,
    6 g G KG, 7 h H KH, 8 i I KI, 9 j J KJ, 10 k K KK, 11 l L KL);

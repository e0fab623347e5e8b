//! The CUDA C sources under `kernels/`, compiled into the binary so that
//! neither the node nor `qtrade kernels` needs the repository at run time.

/// One kernel source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelSource {
    /// File name under `kernels/`.
    pub file: &'static str,
    /// Its text.
    pub text: &'static str,
    /// The `extern "C" __global__` entry points it defines.
    pub entries: &'static [&'static str],
}

/// The battery kernels: the batch (one thread per symbol over ragged SoA
/// candles) and the live mode's scatter and last rows over resident
/// histories.
pub const BATTERY: KernelSource = KernelSource {
    file: "battery.cu",
    text: include_str!("../../../kernels/battery.cu"),
    entries: &[
        "battery_kernel",
        "battery_groups_kernel",
        "scatter_candles_kernel",
        "battery_rows_kernel",
    ],
};

/// Every kernel source, in build order.
pub const ALL: &[KernelSource] = &[BATTERY];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_point_is_in_its_source() {
        for k in ALL {
            for e in k.entries {
                assert!(
                    k.text.contains(&format!("__global__ void {e}(")),
                    "{}: no entry {e}",
                    k.file
                );
            }
        }
    }
}

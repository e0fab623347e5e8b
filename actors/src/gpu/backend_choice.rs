//! `[indicators] backend` resolved against the machine: "cpu" always means
//! the CPU; "auto" takes CUDA when it is usable and falls back to the CPU,
//! saying why once (stderr and `qtrade_gpu_backend_info`); "cuda" refuses
//! to start without a usable GPU.

use super::cuda_backend::CudaBackend;
use super::guard::GpuError;
use quantumtrade::node::battery_batch::{BatteryBackend, CpuBackend};
use std::str::FromStr;

/// The configured backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendSetting {
    /// Always the CPU (rayon).
    Cpu,
    /// CUDA when usable, else the CPU.
    Auto,
    /// CUDA or nothing.
    Cuda,
}

/// The values `[indicators] backend` accepts.
pub const SETTINGS: &[&str] = &["cpu", "auto", "cuda"];

impl FromStr for BackendSetting {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cpu" => Ok(Self::Cpu),
            "auto" => Ok(Self::Auto),
            "cuda" => Ok(Self::Cuda),
            other => Err(format!(
                "indicators.backend {other:?}: expected one of {}",
                SETTINGS.join(", ")
            )),
        }
    }
}

/// What the dispatcher will run on, and why.
pub struct Chosen {
    /// The backend.
    pub backend: Box<dyn BatteryBackend>,
    /// Why the CPU was taken where CUDA was asked for ("auto" only).
    pub fallback: Option<GpuError>,
}

impl Chosen {
    /// The `reason` label of `qtrade_gpu_backend_info`.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match (&self.fallback, self.backend.name()) {
            (Some(e), _) => e.reason(),
            (None, "cpu") => "configured",
            (None, _) => "available",
        }
    }

    /// Says what was chosen: `qtrade_gpu_backend_info{backend, reason} = 1`
    /// and, for a fallback, one line on stderr. Call once, after the
    /// metrics recorder is installed.
    pub fn announce(&self) {
        let backend = self.backend.name();
        if let Some(e) = &self.fallback {
            eprintln!("qtrade: indicators backend auto: CUDA unusable ({e}); computing on the CPU");
        }
        metrics::describe_gauge!(
            "qtrade_gpu_backend_info",
            "The battery backend the GPU dispatcher runs (1), and why: configured, available, or the reason CUDA was unusable."
        );
        metrics::gauge!("qtrade_gpu_backend_info", "backend" => backend, "reason" => self.reason())
            .set(1.0);
    }
}

/// Resolves `setting`, opening the GPU through `open_cuda` only when it
/// may be used.
///
/// # Errors
/// Only for [`BackendSetting::Cuda`]: why CUDA is unusable.
pub fn choose_with(
    setting: BackendSetting,
    open_cuda: impl FnOnce() -> Result<Box<dyn BatteryBackend>, GpuError>,
) -> Result<Chosen, GpuError> {
    match setting {
        BackendSetting::Cpu => Ok(Chosen {
            backend: Box::new(CpuBackend),
            fallback: None,
        }),
        BackendSetting::Auto => Ok(match open_cuda() {
            Ok(backend) => Chosen {
                backend,
                fallback: None,
            },
            Err(e) => Chosen {
                backend: Box::new(CpuBackend),
                fallback: Some(e),
            },
        }),
        BackendSetting::Cuda => open_cuda().map(|backend| Chosen {
            backend,
            fallback: None,
        }),
    }
}

/// [`choose_with`] on this machine's GPU 0.
///
/// # Errors
/// As [`choose_with`].
pub fn choose(setting: BackendSetting) -> Result<Chosen, GpuError> {
    choose_with(setting, || {
        CudaBackend::new().map(|b| Box::new(b) as Box<dyn BatteryBackend>)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::guard::Libraries;

    #[test]
    fn settings_parse_and_unknown_ones_are_named() {
        assert_eq!("auto".parse(), Ok(BackendSetting::Auto));
        assert_eq!("cpu".parse(), Ok(BackendSetting::Cpu));
        assert_eq!("cuda".parse(), Ok(BackendSetting::Cuda));
        let e = "opencl".parse::<BackendSetting>().unwrap_err();
        assert!(e.contains("opencl") && e.contains("auto"), "{e}");
    }

    #[test]
    fn cpu_never_opens_the_gpu() {
        let c = choose_with(BackendSetting::Cpu, || panic!("opened")).unwrap();
        assert_eq!((c.backend.name(), c.reason()), ("cpu", "configured"));
    }

    #[test]
    fn auto_falls_back_with_the_reason_and_cuda_refuses() {
        let c = choose_with(BackendSetting::Auto, || Err(GpuError::NvrtcMissing)).unwrap();
        assert_eq!((c.backend.name(), c.reason()), ("cpu", "nvrtc_missing"));
        let e = choose_with(BackendSetting::Cuda, || Err(GpuError::DriverMissing)).err();
        assert_eq!(e, Some(GpuError::DriverMissing));
    }

    /// On this machine, as it is: with no libcuda, "auto" must come back as
    /// the CPU with reason driver_missing (and must not panic, as an
    /// unguarded cudarc call would), and "cuda" must refuse.
    #[test]
    fn on_a_machine_without_cuda_auto_is_the_cpu() {
        if Libraries::detect().driver {
            eprintln!("SKIPPED: libcuda is present here");
            return;
        }
        let c = choose(BackendSetting::Auto).unwrap();
        assert_eq!((c.backend.name(), c.reason()), ("cpu", "driver_missing"));
        assert_eq!(
            choose(BackendSetting::Cuda).err(),
            Some(GpuError::DriverMissing)
        );
    }
}

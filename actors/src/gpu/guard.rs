//! The gate in front of cudarc: with `dynamic-loading`, cudarc panics on
//! the first call when libcuda or libnvrtc cannot be loaded, so every path
//! into CUDA asks here first and gets a typed error instead.

use std::fmt;

/// Why CUDA cannot be used here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GpuError {
    /// libcuda (the driver API) cannot be loaded: no NVIDIA driver.
    #[error("the CUDA driver library (libcuda.so) cannot be loaded")]
    DriverMissing,
    /// libnvrtc (the run-time compiler) cannot be loaded.
    #[error(
        "the NVRTC library (libnvrtc.so) cannot be loaded; put its directory on LD_LIBRARY_PATH"
    )]
    NvrtcMissing,
    /// The driver loaded but refused (no device, driver too old, ...).
    #[error("CUDA driver error: {0}")]
    Driver(String),
    /// A kernel source did not compile.
    #[error("{file}: NVRTC compile error ({status}):\n{log}")]
    Compile {
        /// The kernel file.
        file: String,
        /// NVRTC's status.
        status: String,
        /// NVRTC's log.
        log: String,
    },
}

impl GpuError {
    /// Short label for metrics (`reason` of `qtrade_gpu_backend_info`).
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            Self::DriverMissing => "driver_missing",
            Self::NvrtcMissing => "nvrtc_missing",
            Self::Driver(_) => "driver_error",
            Self::Compile { .. } => "kernel_compile_error",
        }
    }
}

/// Which CUDA libraries load on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Libraries {
    /// libcuda loads.
    pub driver: bool,
    /// libnvrtc loads.
    pub nvrtc: bool,
}

impl Libraries {
    /// Tries to load both libraries (dlopen only; nothing is called).
    #[must_use]
    pub fn detect() -> Self {
        Self {
            driver: driver_library_present(),
            nvrtc: nvrtc_library_present(),
        }
    }

    /// Ok when both load; else the first missing one, driver first.
    ///
    /// # Errors
    /// [`GpuError::DriverMissing`] or [`GpuError::NvrtcMissing`].
    pub fn require_all(self) -> Result<(), GpuError> {
        if !self.driver {
            return Err(GpuError::DriverMissing);
        }
        self.require_nvrtc()
    }

    /// Ok when NVRTC loads (all that compiling kernels needs).
    ///
    /// # Errors
    /// [`GpuError::NvrtcMissing`].
    pub fn require_nvrtc(self) -> Result<(), GpuError> {
        if self.nvrtc {
            Ok(())
        } else {
            Err(GpuError::NvrtcMissing)
        }
    }
}

impl fmt::Display for Libraries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        write!(
            f,
            "libcuda {}, libnvrtc {}",
            yes_no(self.driver),
            yes_no(self.nvrtc)
        )
    }
}

/// True when libcuda can be loaded.
#[must_use]
#[expect(unsafe_code, reason = "cudarc's presence probe is an unsafe fn")]
pub fn driver_library_present() -> bool {
    // SAFETY: only tries dlopen on cudarc's list of library names; calls
    // nothing inside the library.
    unsafe { cudarc::driver::sys::is_culib_present() }
}

/// True when libnvrtc can be loaded.
#[must_use]
#[expect(unsafe_code, reason = "cudarc's presence probe is an unsafe fn")]
pub fn nvrtc_library_present() -> bool {
    // SAFETY: as for `driver_library_present`.
    unsafe { cudarc::nvrtc::sys::is_culib_present() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_missing_library_is_named_driver_first() {
        let none = Libraries {
            driver: false,
            nvrtc: false,
        };
        assert_eq!(none.require_all(), Err(GpuError::DriverMissing));
        assert_eq!(none.require_nvrtc(), Err(GpuError::NvrtcMissing));
        let only_nvrtc = Libraries {
            driver: false,
            nvrtc: true,
        };
        assert_eq!(only_nvrtc.require_all(), Err(GpuError::DriverMissing));
        assert_eq!(only_nvrtc.require_nvrtc(), Ok(()));
        let both = Libraries {
            driver: true,
            nvrtc: true,
        };
        assert_eq!(both.require_all(), Ok(()));
        assert_eq!(GpuError::DriverMissing.reason(), "driver_missing");
    }

    /// The real probe on this machine must agree with what dlopen finds,
    /// and must not panic where the library is missing (cudarc would).
    #[test]
    fn detect_reports_a_missing_driver_as_an_error() {
        let libs = Libraries::detect();
        if !libs.driver {
            assert_eq!(libs.require_all(), Err(GpuError::DriverMissing));
        } else {
            eprintln!("libcuda is present here: {libs}");
            assert_ne!(libs.require_all(), Err(GpuError::DriverMissing));
        }
    }
}

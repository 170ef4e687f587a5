//! Every user-visible string, in English and 简体中文, behind one lookup.
//!
//! Terms follow `shared/reference/glossary.md` (特征, 叠加, 每特征维数, 多胞形, ...). A key
//! without both languages does not compile: the table below is the only place strings live.

use leptos::prelude::*;
use serde::Serialize;

/// The interface language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Zh => "zh",
        }
    }

    /// Parses a `lang=` value; `zh`, `zh-CN`, `zh-Hans` all mean simplified Chinese.
    pub fn from_code(code: &str) -> Option<Self> {
        let c = code.to_ascii_lowercase();
        if c == "en" || c.starts_with("en-") {
            Some(Self::En)
        } else if c == "zh" || c.starts_with("zh-") {
            Some(Self::Zh)
        } else {
            None
        }
    }

    /// The value of the HTML `lang` attribute.
    pub fn html_lang(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Zh => "zh-Hans",
        }
    }
}

macro_rules! strings {
    ($($key:ident => $en:expr, $zh:expr;)*) => {
        /// A user-visible string.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Key { $($key),* }

        impl Key {
            pub const ALL: &'static [Key] = &[$(Key::$key),*];
        }

        /// The text of `key` in `lang`.
        pub fn text(lang: Lang, key: Key) -> &'static str {
            match lang {
                Lang::En => match key { $(Key::$key => $en),* },
                Lang::Zh => match key { $(Key::$key => $zh),* },
            }
        }
    };
}

strings! {
    AppName => "Polytope", "Polytope 多胞形";
    Tagline => "Watch neural networks put many features into few neurons.", "看神经网络如何把许多特征放进少数神经元。";
    NavHome => "Home", "首页";
    NavToy => "Toy models", "玩具模型";
    NavGeometry => "Geometry", "几何";
    NavPhase => "Phase diagrams", "相图";
    NavSae => "Sparse autoencoders", "稀疏自编码器";
    NavFeatures => "Features", "特征浏览";
    NavCompute => "Compute", "计算设备";
    Language => "Language", "语言";
    SwitchLanguage => "中文", "English";
    Projector => "Projector mode", "投影模式";
    ProjectorOn => "Large text on", "大字模式已开";
    BackendWebGpu => "WebGPU", "WebGPU";
    BackendCpu => "CPU", "CPU";
    BackendDetecting => "Looking for a GPU…", "正在寻找 GPU…";
    ComputeTitle => "Compute", "计算设备";
    ComputeIntro => "Polytope trains models on your GPU through WebGPU, and on the CPU when WebGPU is unavailable. Both give the same numbers.", "Polytope 通过 WebGPU 在你的 GPU 上训练模型；没有 WebGPU 时改用 CPU。两者给出相同的数值。";
    ComputeBackend => "Backend in use", "当前后端";
    ComputeAdapter => "Adapter", "适配器";
    ComputeDeviceType => "Device type", "设备类型";
    ComputeApi => "Graphics API", "图形接口";
    ComputeDriver => "Driver", "驱动";
    ComputeLimits => "Limits that matter", "关键限制";
    LimitStorageBinding => "Largest storage binding", "最大存储绑定";
    LimitBuffer => "Largest buffer", "最大缓冲区";
    LimitWorkgroups => "Workgroups per dimension", "每维工作组数";
    LimitInvocations => "Invocations per workgroup", "每工作组调用数";
    FallbackNotice => "WebGPU is not available, so training runs on the CPU (slower, same numbers).", "WebGPU 不可用，训练改在 CPU 上运行（更慢，数值相同）。";
    FallbackReason => "Why", "原因";
    CpuRequested => "The CPU was requested in the address (backend=cpu).", "地址中指定了 CPU（backend=cpu）。";
    SelfCheckTitle => "Self-check: the same training on both backends", "自检：两个后端上的同一训练";
    SelfCheckExplain => "Trains a 5-feature, 2-dimension toy model for 200 steps and compares every weight with the CPU reference.", "训练一个 5 个特征、2 个隐藏维度的玩具模型 200 步，并把每个权重与 CPU 参考结果比较。";
    SelfCheckRun => "Run the self-check", "运行自检";
    SelfCheckRunning => "Running…", "运行中…";
    SelfCheckPassed => "Passed", "通过";
    SelfCheckFailed => "Failed", "未通过";
    SelfCheckMaxDiff => "Largest weight difference", "最大权重差";
    SelfCheckLoss => "Final loss (mean over instances)", "最终损失（各实例平均）";
    SelfCheckCpuOnly => "Only the CPU is available: the check trains on the CPU and reports its loss.", "只有 CPU 可用：自检在 CPU 上训练并报告损失。";
    NotFoundTitle => "Page not found", "页面不存在";
    NotFoundBody => "There is nothing at this address. Try one of the pages above.", "这个地址没有内容。请试试上方的页面。";
    HomeLead => "A network with 30 neurons can store hundreds of sparse features by arranging them as polytopes: digons, triangles, tetrahedra, pentagons. Polytope lets you train such toy models live on your own GPU and watch the geometry appear.", "一个只有 30 个神经元的网络，可以把数百个稀疏特征排列成多胞形（二边形、三角形、四面体、五边形）来存储。Polytope 让你在自己的 GPU 上实时训练这样的玩具模型，看着几何结构浮现。";
    HomeStart => "Start with the toy models", "从玩具模型开始";
    HomeComputeLink => "Check your GPU", "检查你的 GPU";
    HomeCredits => "Based on Elhage et al., “Toy Models of Superposition” (2022) and Bricken et al., “Towards Monosemanticity” (2023).", "基于 Elhage 等人《Toy Models of Superposition》（2022）与 Bricken 等人《Towards Monosemanticity》（2023）。";
    Error => "Error", "错误";
}

/// Reactive translation: reads the language signal provided by the app.
#[derive(Clone, Copy)]
pub struct I18n {
    pub lang: RwSignal<Lang>,
}

impl I18n {
    /// The text of `key` in the current language (tracks the language signal).
    pub fn t(self, key: Key) -> &'static str {
        text(self.lang.get(), key)
    }

    /// A closure suitable for `view!`: re-renders when the language changes.
    pub fn tr(self, key: Key) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        move || text(self.lang.get(), key)
    }
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages() {
        for key in Key::ALL {
            assert!(!text(Lang::En, *key).is_empty(), "{key:?} has no English");
            assert!(!text(Lang::Zh, *key).is_empty(), "{key:?} has no Chinese");
        }
    }

    #[test]
    fn language_codes() {
        assert_eq!(Lang::from_code("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::from_code("en"), Some(Lang::En));
        assert_eq!(Lang::from_code("fr"), None);
    }
}

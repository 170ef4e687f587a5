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
    Projector => "Projector mode", "投影仪模式";
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
    FallbackNoticeSoftware => "Training runs on the CPU, which is faster here than this browser's WebGPU (same numbers).", "训练在 CPU 上运行：在这里它比此浏览器的 WebGPU 更快（数值相同）。";
    CpuSoftware => "This browser's WebGPU adapter emulates a GPU on the processor, where Polytope's own CPU path is several times faster; choose WebGPU in the settings to use it anyway. Adapter:", "此浏览器的 WebGPU 适配器是在处理器上模拟的 GPU，在这里 Polytope 自己的 CPU 路径要快好几倍；如仍想使用它，请在设置中选择 WebGPU。适配器：";
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
    HomeSaeLink => "Recover features with a sparse autoencoder", "用稀疏自编码器找回特征";
    HomeCredits => "Based on Elhage et al., “Toy Models of Superposition” (2022) and Bricken et al., “Towards Monosemanticity” (2023).", "基于 Elhage 等人的《叠加的玩具模型》（Toy Models of Superposition，2022）与 Bricken 等人的《走向单义性》（Towards Monosemanticity，2023）。";
    ToyTitle => "Toy models of superposition", "叠加的玩具模型";
    Controls => "Settings", "设置";
    Preset => "Preset", "预设";
    Model => "Model", "模型";
    ModelRelu => "ReLU output (x′ = ReLU(WᵀWx + b))", "ReLU 输出（x′ = ReLU(WᵀWx + b)）";
    ModelLinear => "Linear (x′ = WᵀWx + b)", "线性（x′ = WᵀWx + b）";
    ModelPrivileged => "Privileged basis (h = ReLU(Wx))", "特权基（h = ReLU(Wx)）";
    ModelAbs => "Computation: y = |x|", "计算：y = |x|";
    Features => "Features n", "特征数 n";
    Hidden => "Hidden dimensions m", "隐藏维度 m";
    Importance => "Importance (ratio or span:S)", "重要性（比例或 span:S）";
    Density => "Feature densities (one instance each)", "特征密度（每个实例一个）";
    DensityHint => "A list like 1,0.3,0.1 or a sweep like sweep:1:0.05:10", "列表如 1,0.3,0.1，或扫描如 sweep:1:0.05:10";
    Correlation => "Correlation", "相关性";
    CorrIndependent => "Independent", "独立";
    CorrCorrelated => "Correlated pairs", "相关对";
    CorrAnticorrelated => "Anticorrelated pairs", "反相关对";
    Optimizer => "Optimizer", "优化器";
    LearningRate => "Learning rate", "学习率";
    Schedule => "Schedule", "学习率调度";
    Batch => "Batch size", "批大小";
    Steps => "Steps", "步数";
    Seed => "Seed", "随机种子";
    NewSeed => "New seed", "换种子";
    Backend => "Backend", "后端";
    BackendAuto => "Automatic", "自动";
    BackendWebgpu => "WebGPU (even emulated)", "WebGPU（模拟的也用）";
    BackendCpuOnly => "CPU", "CPU";
    Speed => "Speed", "速度";
    Play => "Play", "运行";
    Pause => "Pause", "暂停";
    StepOnce => "Step", "单步";
    Reset => "Reset", "重置";
    Step => "Step", "步";
    StatusStarting => "Starting", "准备中";
    StatusPaused => "Paused", "已暂停";
    StatusRunning => "Training", "训练中";
    StatusDone => "Done", "完成";
    StatusFailed => "Stopped", "已停止";
    StepsPerSecond => "steps/s", "步/秒";
    Loss => "Loss", "损失";
    Instance => "Instance", "实例";
    InstanceDensity => "density", "密度";
    PlotVectors => "Feature directions in the hidden space", "隐藏空间中的特征方向";
    PlotVectors3d => "Feature directions in 3-D (drag to rotate)", "三维特征方向（拖动旋转）";
    PlotGram => "WᵀW and bias", "WᵀW 与偏置";
    PlotNorms => "‖Wᵢ‖, coloured by superposition", "‖Wᵢ‖，按叠加程度着色";
    PlotLoss => "Loss of every instance", "各实例的损失";
    PlotMultiples => "Every instance", "全部实例";
    PlotNeurons => "Neurons: stacked weights per feature", "神经元：各特征的权重堆叠";
    ColourKey => "Dark blue: a dimension of its own. Orange: shares dimensions (superposition).", "深蓝：独占一个维度。橙色：与其他特征共享维度（叠加）。";
    ClickHint => "Click a feature in any plot to highlight it everywhere.", "在任一图中点击特征，即可在所有图中高亮它。";
    Highlighted => "Highlighted feature", "高亮特征";
    ClearHighlight => "Clear", "清除";
    ShareLink => "Copy link", "复制链接";
    EmbedCode => "Copy embed code", "复制嵌入代码";
    Copied => "Copied", "已复制";
    ExportJson => "Model snapshot (JSON)", "模型快照（JSON）";
    OpenFull => "Open in Polytope", "在 Polytope 中打开";
    BadSetting => "Some settings in the address could not be used", "地址中的部分设置无法使用";
    Represented => "represented", "已表示";
    DimsPerFeatureShort => "D*", "D*";
    About => "What you are seeing", "你看到的是什么";
    PresetIntro => "Five features, two hidden dimensions. Dense features get two orthogonal directions and the rest are dropped; as features get sparser, the model packs more of them into the plane: antipodal pairs, then a pentagon.", "五个特征，两个隐藏维度。特征稠密时，模型只给两个特征分配正交方向，其余被丢弃；特征越稀疏，模型在平面里塞进越多特征：先是二边形（对跖对），再是五边形。";
    PresetSparsitySweep => "Twenty features of falling importance in five dimensions. Bars show each feature's norm; colour shows how much it shares its dimension. Sparser instances represent more features, in superposition.", "二十个重要性递减的特征放进五个维度。条形显示每个特征的范数，颜色显示它与其他特征共享维度的程度。越稀疏的实例表示的特征越多，多出来的特征处于叠加之中。";
    PresetLargeSweep => "The notebook's larger sweep: 100 features in 20 dimensions, importance from 1 down to 1/100, twenty densities.", "原笔记本中的较大扫描：100 个特征放进 20 个维度，重要性从 1 降到 1/100，共二十种密度。";
    PresetDimsPerFeature => "200 equally important features in 20 dimensions. Watch dimensions per feature fall as features get sparser, and feature dimensionalities stick to the fractions of the polytopes.", "200 个同等重要的特征放进 20 个维度。随着特征变稀疏，每特征维数下降，各特征维度停留在多胞形对应的分数上。";
    PresetDimsPerFeature400 => "The paper's setting: 400 features in 30 dimensions.", "论文中的设置：400 个特征放进 30 个维度。";
    PresetPrivileged => "Hidden neurons with a ReLU get a privileged basis: features tend to align with neurons, and polysemantic neurons appear as features get sparse.", "带 ReLU 的隐藏神经元形成特权基：特征倾向于与神经元对齐，特征变稀疏时会出现多义神经元。";
    PresetAbs => "Computation in superposition: the model computes |x| of 100 sparse inputs with 40 neurons.", "叠加中的计算：模型用 40 个神经元计算 100 个稀疏输入的 |x|。";
    PresetCorrelated => "Pairs of features that appear together prefer orthogonal directions: they cannot interfere without both being active.", "总是同时出现的特征对倾向于取正交方向：若要互相干扰，它们必然同时活跃。";
    PresetAnticorrelated => "Pairs of features that never appear together prefer antipodal directions: they never interfere.", "从不同时出现的特征对倾向于取对跖方向：它们从不互相干扰。";
    PresetPerturbed => "Five equally important sparse features form a pentagon; making one feature sparser than the others collapses it into digons.", "五个同等重要的稀疏特征组成五边形；让其中一个特征比其他更稀疏，五边形就会塌缩成二边形。";
    FractionOne => "1 (dedicated)", "1（独占）";
    FractionTetrahedron => "3/4 tetrahedron", "3/4 四面体";
    FractionTriangle => "2/3 triangle", "2/3 三角形";
    FractionDigon => "1/2 digon", "1/2 二边形";
    FractionPentagon => "2/5 pentagon", "2/5 五边形";
    FractionAntiprism => "3/8 square antiprism", "3/8 四角反棱柱";
    GeometryTitle => "The polytopes: how many dimensions each feature gets", "多胞形：每个特征分到几个维度";
    GeometryIntro => "Each black dot is one instance: dimensions per feature D* = m / ‖W‖²_F against 1/(1 − S). The coloured dots are the feature dimensionalities D_i of that instance; they gather at the fractions of the polytopes. Click an instance to see its geometry.", "每个黑点是一个实例：每特征维数 D* = m / ‖W‖²_F 对 1/(1 − S) 作图。彩色点是该实例各特征的维度 D_i，它们聚集在多胞形对应的分数上。点击实例可查看其几何结构。";
    PlotDimsPerFeature => "Dimensions per feature against sparsity", "每特征维数与稀疏度";
    PlotGraph => "Feature geometry graph (components are tegum factors)", "特征几何图（连通分量即 tegum 积的因子）";
    PlotEnergy => "Energy-level jumps: D_i over training, loss beneath", "能级跃迁：训练中的 D_i，下方为损失";
    GeometryCaveat => "Even in the paper's runs only about a quarter of features sit within 0.02 of a named fraction: look for clusters, not a majority.", "即使在论文的实验中，也只有约四分之一的特征落在某个分数 ±0.02 以内：要找的是聚集，而不是多数。";
    NavGeometryLong => "Polytopes", "多胞形";
    PhaseTitle => "Phase diagrams: when does the extra feature go into superposition?", "相图：额外特征何时进入叠加？";
    PhaseIntro => "Every cell trains several models with one extra feature of a given density and relative importance, drops the worst, and colours the cell by what the rest did with that feature. All cells train together, as one large batch of models.", "每个格子用给定密度和相对重要性的额外特征训练若干模型，去掉最差的一个，再按其余模型如何处理该特征为格子着色。所有格子作为一大批模型一起训练。";
    PhaseSetup => "Setup", "设置";
    PhaseSetup21 => "2 features in 1 dimension", "2 个特征，1 个维度";
    PhaseSetup32 => "3 features in 2 dimensions", "3 个特征，2 个维度";
    PhaseResolution => "Resolution (cells per axis)", "分辨率（每轴格数）";
    PhaseModels => "Models per cell", "每格模型数";
    PhaseX => "relative importance of the extra feature", "额外特征的相对重要性";
    PhaseY => "feature density (1 − S)", "特征密度（1 − S）";
    RegimeNotLearned => "not learned", "未学到";
    RegimeDedicated => "dedicated dimension", "独占维度";
    RegimeSuperposition => "superposition", "叠加";
    RegimeOther => "other", "其他";
    PhaseBoundary => "theory (approximation)", "理论（近似）";
    PhaseBoundaryNote => "The dashed line compares candidate solutions with unit-norm directions and fixed biases. It is an approximation: it places the boundary too high in density compared with trained models.", "虚线比较的是单位范数方向、固定偏置的候选解。这只是近似：与训练得到的模型相比，它把边界放在了过高的密度处。";
    PhaseCells => "cells", "格";
    PhaseModelsTotal => "models training together", "个模型同时训练";
    PhasePending => "Cells colour in once a quarter of the steps are done; they keep updating until the end.", "完成四分之一步数后格子开始着色，并持续更新到训练结束。";
    SaeTitle => "Sparse autoencoder lab: recover the features behind the activations", "稀疏自编码器实验室：从激活中找回背后的特征";
    SaeIntro => "A sparse autoencoder learns a dictionary: many more latents than input dimensions, few active at a time. When the data really is a sparse sum of directions, a good dictionary finds them. Here the true directions are known, so you can watch the dictionary recover them (MMCS: the mean over true features of the best cosine with a learned direction).", "稀疏自编码器学习一个字典：字典特征远多于输入维数，但每次只有少数激活。如果数据确实是若干方向的稀疏叠加，好的字典就能把它们找出来。这里真实方向是已知的，你可以看着字典把它们找回来（MMCS：对每个真实特征取与学到方向的最大余弦相似度，再取平均）。";
    SaeSource => "Data", "数据来源";
    SaeSourceSynthetic => "Synthetic: sparse sums of known directions", "合成数据：已知方向的稀疏叠加";
    SaeSourceToy => "Hidden layer of a toy model", "玩具模型的隐藏层";
    SaeSourceFile => "Or an activation file (POLYACT1; not kept in links)", "或激活文件（POLYACT1；不会写入链接）";
    SaeFileInUse => "Training on the file", "正在用文件训练";
    SaeVariant => "Training recipe", "训练方法";
    SaeVariantL12023 => "L1 + resampling (Anthropic 2023)", "L1 + 重采样（Anthropic 2023）";
    SaeVariantL12024 => "L1 × decoder norm (Anthropic 2024)", "L1 × 解码器范数（Anthropic 2024）";
    SaeVariantTopK => "TopK + AuxK (Gao et al. 2024)", "TopK + AuxK（Gao 等 2024）";
    SaeVariantJumpRelu => "JumpReLU (Rajamanoharan et al. 2024)", "JumpReLU（Rajamanoharan 等 2024）";
    SaeDIn => "Input dimensions", "输入维数";
    SaeFeatures => "True features", "真实特征数";
    SaeToyDensity => "Toy-model feature density", "玩具模型特征密度";
    SaeDictSize => "Dictionary size", "字典大小";
    SaeK => "k (active latents)", "k（激活的字典特征数）";
    SaeSparsity => "Sparsity coefficient (auto: recommended)", "稀疏系数（auto：推荐值）";
    SaeLr => "Learning rate (auto: recommended)", "学习率（auto：推荐值）";
    SaeBuilding => "Preparing the data…", "正在准备数据……";
    PlotSaeLoss => "Loss terms (resampling marked in red)", "损失项（红线为重采样）";
    PlotSaeQuality => "Explained variance, MMCS and dead fraction", "解释方差、MMCS 与死特征比例";
    PlotSaeL0 => "L0 (active latents per input)", "L0（每个输入激活的字典特征数）";
    PlotSaeDensity => "Feature density histogram (log10)", "特征密度直方图（log10）";
    PlotSaeDirections => "Learned decoder directions over the true features", "学到的解码器方向与真实特征";
    PlotSaeCosine => "Cosine similarity: true features × learned latents", "余弦相似度：真实特征 × 学到的字典特征";
    SaeExplainedVariance => "explained variance", "解释方差";
    SaeDead => "dead", "死特征";
    SaeRecon => "reconstruction", "重建";
    SaeSparsityTerm => "sparsity", "稀疏惩罚";
    SaeMmcsReverse => "MMCS (learned → true)", "MMCS（学到 → 真实）";
    SaeMmcs => "MMCS", "MMCS";
    SaeDirectionsNote => "Thick light arrows: true features. Thin arrows: learned latents, coloured by the true feature they match (grey: unmatched, faded: dead).", "粗的浅色箭头：真实特征。细箭头：学到的字典特征，按所匹配的真实特征着色（灰色：未匹配，淡色：死特征）。";
    SaeDirectionsUnavailable => "Directions are drawn for a toy model with 2 or 3 hidden dimensions.", "仅当玩具模型有 2 或 3 个隐藏维度时绘制方向。";
    SaeExportDecoder => "Decoder (CSV)", "解码器（CSV）";
    SaeExportReport => "Report (JSON)", "报告（JSON）";
    SaeHeldOut => "Held-out evaluation", "留出数据评估";
    SaeSourceLm => "Language model: MLP activations of the shipped model on the text sample", "语言模型：内置模型在文本样本上的 MLP 激活";
    SaeLmNote => "Your browser runs the shipped language model (model A) over the shipped text sample, 64 tokens at a time, and keeps 16 random positions of each window (at most 24,000 rows of 512 MLP neurons). The real features are unknown here, so the lab compares its dictionary with the shipped one of the closest size: MMCS between the two sets of decoder directions.", "浏览器会在内置文本样本上运行内置语言模型（模型 A），每次 64 个词元，并在每个窗口中随机保留 16 个位置（最多 24,000 行，每行 512 个 MLP 神经元）。这里不知道真实特征，因此实验室把学到的字典与大小最接近的内置字典比较：两组解码器方向之间的 MMCS。";
    SaeLmLoading => "loading", "正在加载";
    SaeLmTokenizing => "tokenizing the text sample", "正在对文本样本分词";
    SaeLmComputing => "computing activations", "正在计算激活";
    SaeLmActivations => "activations", "激活";
    SaeLmRows => "rows", "行";
    SaeLmWindows => "windows", "个窗口";
    SaeLmDataError => "The language-model data could not be loaded:", "无法加载语言模型数据：";
    SaeShippedUnavailable => "No comparison with the shipped dictionary:", "无法与内置字典比较：";
    SaeMmcsShipped => "MMCS vs shipped", "与内置字典的 MMCS";
    SaeShippedToLab => "shipped → lab", "内置 → 实验室";
    SaeMmcsShippedCurve => "MMCS vs shipped dictionary", "与内置字典的 MMCS";
    SaeMmcsShippedReverseCurve => "MMCS (shipped → lab)", "MMCS（内置 → 实验室）";
    NavPhaseShort => "Phase diagrams", "相图";
    Error => "Error", "错误";
    HomeFeaturesLink => "Browse the features of a language model", "浏览语言模型的特征";
    FeaturesTitle => "Feature browser: what a sparse autoencoder found in a language model", "特征浏览器：稀疏自编码器在语言模型中找到的特征";
    FeaturesIntro => "Dictionaries trained on the MLP activations of two small one-layer transformers. Pick a dictionary, search its features, open one to see where it fires, what it predicts, which neurons it is made of and how it splits across dictionary sizes. Everything loads lazily and runs in your browser.", "这些字典训练自两个单层小型 Transformer 的 MLP 激活。选择一个字典，搜索它的特征，打开某个特征查看它在哪里激活、预测什么、由哪些神经元组成，以及它在不同字典大小之间如何分裂。所有内容按需加载，并在浏览器中运行。";
    FeaturesLoadingIndex => "Loading the data index…", "正在加载数据索引……";
    FeaturesDataError => "The data could not be loaded:", "数据无法加载：";
    FeaturesDictionaries => "Dictionaries", "字典";
    FeaturesOverview => "Overview", "概览";
    FeaturesDensityTitle => "Feature density of this dictionary (log10, over the evaluation tokens)", "本字典的特征密度（log10，在评估词元上）";
    FeaturesDensityNote => "How many features fire on what fraction of the tokens; dead features are counted apart. Features below a density of 10⁻⁵ are ultralow-density features: the dictionaries of Towards Monosemanticity show them as a bump of their own at the left.", "每个特征在多大比例的词元上激活，以及有多少这样的特征；死特征单独计数。密度低于 10⁻⁵ 的是超低密度特征：原论文的字典里，它们在左侧单独形成一个峰。";
    Loading => "Loading…", "加载中……";
    FeaturesScores => "How readable it is, by two automatic measures", "可读性：两项自动评分";
    FeaturesScoresNote => "Every measure is computed the same way for features, for the model's own neurons and for random directions in the same space (the control), over the evaluation tokens. Token rule: the F1 score of the best rule of the form “the current token is one of at most 10 tokens” at predicting where the unit reaches a quarter of its maximum. Context: how much more alike the 16 tokens before its 50 strongest activations are than random passages (0 is chance). Universality: its best activation correlation with any unit of the same kind in the other model (features against the other model's dictionary of the same size).", "每项评分对特征、模型自己的神经元以及同一空间中的随机方向（对照组）采用完全相同的算法，都在评估词元上计算。词元规则：形如“当前词元属于至多 10 个词元之一”的最佳规则，在预测单元何处达到其最大值四分之一时的 F1 分数。上下文：单元 50 个最强激活之前的 16 个词元，彼此比随机段落相似多少（0 表示与随机相当）。普适性：单元与另一个模型中任一同类单元的最佳激活相关系数（特征与另一个模型同样大小的字典比较）。";
    FeaturesScoreTokenRule => "token rule", "词元规则";
    FeaturesScoreContext => "context", "上下文";
    FeaturesScoreUniversality => "universality", "普适性";
    FeaturesScoreMeasure => "measure", "评分";
    FeaturesScoreThis => "this unit", "本单元";
    FeaturesScoreDict => "median, this dictionary", "本字典中位数";
    FeaturesScoreNeurons => "median, neurons of model {0}", "模型 {0} 神经元中位数";
    FeaturesScoreControl => "median, random directions", "随机方向中位数";
    FeaturesNotScored => "not scored (active on fewer than 10 tokens)", "未评分（激活的词元少于 10 个）";
    FeaturesScoresMissing => "This data ships no interpretability scores (it was built before they existed).", "这份数据没有内置可解释性评分（构建时还没有这项功能）。";
    FeaturesTokenRuleTitle => "Token rule: features against neurons and random directions", "词元规则：特征、神经元与随机方向的对比";
    FeaturesTokenRuleNote => "Share of each group's units per score. A score near 1 means a handful of tokens tell exactly where the unit fires; the model's neurons and random directions mostly need far more. The paper judged features by hand: this automatic measure only sees the current token.", "每组单元在各评分区间所占的比例。接近 1 表示少数几个词元就能准确说明单元在哪里激活；模型的神经元和随机方向大多做不到。原论文靠人工评判特征，而这项自动评分只看当前词元。";
    FeaturesSizesTitle => "Quality against dictionary size (this model's dictionaries)", "质量随字典大小的变化（本模型的各个字典）";
    FeaturesSizesNote => "Each point is one dictionary of this model, by its number of features (the dashed line: the open one). Explained variance and loss recovered say how much of the layer the dictionary keeps; the share of dead features and the median token-rule score say what its size costs and buys. The paper saw its larger dictionaries split features into finer ones.", "每个点是本模型的一个字典，横轴是它的字典特征数（虚线：当前打开的字典）。解释方差和损失恢复率说明字典保留了这一层多少信息；死亡特征的比例和词元规则得分的中位数说明规模带来的代价和收益。论文发现，更大的字典会把特征分裂成更细的特征。";
    FeaturesSizesDead => "dead share", "死亡特征比例";
    FeaturesSizesTokenRule => "median token rule", "词元规则中位数";
    FeaturesContextTitle => "Context similarity: features against neurons and random directions", "上下文相似度：特征、神经元与随机方向的对比";
    FeaturesUniversalityTitle => "Universality: best match in the other model, features against neurons", "普适性：在另一个模型中的最佳匹配，特征与神经元的对比";
    FeaturesUniversalityNote => "Share of each group's units per score: a unit's best activation correlation, over the evaluation tokens, with any unit of the same kind in the other model. Features are matched with the other model's dictionary of the same size; a size only one model has shows no features here.", "每组单元在各评分区间所占的比例：在评估词元上，单元与另一个模型中任一同类单元的最佳激活相关系数。特征与另一个模型同样大小的字典比较；只有一个模型拥有的大小，这里不显示特征。";
    FeaturesContextNote => "Share of each group's units per score; 0 means the passages before a unit's strongest activations are no more alike than random passages of this text.", "每组单元在各评分区间所占的比例；0 表示单元最强激活之前的段落并不比本文本中的随机段落更相似。";
    FeaturesGroupNeurons => "neurons of model {0}", "模型 {0} 的神经元";
    FeaturesGroupControl => "random directions", "随机方向";
    FeaturesBrokenFile => "manifest broken (hover for details)", "清单文件损坏（悬停查看详情）";
    FeaturesLossRecovered => "loss recovered", "损失恢复率";
    FeaturesUltralow => "ultralow", "超低密度";
    FeaturesList => "Features", "特征列表";
    FeaturesSearchTokens => "Search top tokens (or #id)", "搜索最强激活词元（或 #编号）";
    FeaturesSearchTokensHint => "e.g. the", "例如 the";
    FeaturesSearchText => "Search the snippets' text", "搜索片段文本";
    FeaturesSearch => "Search", "搜索";
    FeaturesSort => "Order", "排序";
    FeaturesSortIndex => "index", "编号";
    FeaturesSortDensity => "density", "密度";
    FeaturesSortMax => "max activation", "最大激活";
    FeaturesShowDead => "show dead and ultralow features", "显示死特征和超低密度特征";
    FeaturesRows => "features shown", "个特征";
    FeaturesTopTokens => "top tokens", "最强激活词元";
    FeaturesDensity => "density", "密度";
    FeaturesMaxAct => "max act.", "最大激活";
    FeaturesMeanAct => "mean act. when active", "激活时的平均值";
    FeaturesChunksSearched => "chunks searched", "已搜索分块";
    FeaturesMatches => "matching features", "个匹配特征";
    FeaturesLoadingList => "Loading the feature list…", "正在加载特征列表……";
    FeaturesTokens => "tokens", "个词元";
    FeaturesNoMatch => "no match above the threshold", "没有超过阈值的匹配";
    FeaturesNoMatchDict => "the other model has no dictionary of this size; matches are computed between dictionaries of equal size", "另一个模型没有同样大小的字典；匹配只在同样大小的字典之间计算";
    FeaturesTopActs => "Top activations", "最强激活样例";
    FeaturesActHistogram => "Activation histogram (nonzero, log counts)", "激活直方图（非零值，计数取对数）";
    FeaturesLogitHistogram => "Logit weights over the vocabulary", "整个词表上的 logit 权重";
    FeaturesLogits => "Logit effects (direct path)", "logit 效应（直接路径）";
    FeaturesPromoted => "promoted", "提升";
    FeaturesSuppressed => "suppressed", "抑制";
    FeaturesNeurons => "Neuron alignment", "神经元对齐";
    FeaturesMadeOf => "Made of neurons (weight, share of L1):", "由这些神经元组成（权重，占 L1 的比例）：";
    FeaturesCorrelated => "Correlated features", "相关特征";
    FeaturesSplits => "Feature splitting", "特征分裂";
    FeaturesSplitsNote => "Features of the other sizes that fire on the same tokens (masked cosine similarity):", "其他大小的字典中在相同词元上激活的特征（掩码余弦相似度）：";
    FeaturesFamily => "Family across sizes", "跨规模的特征家族";
    FeaturesFamilyNote => "A tree built in this page from the decoder directions of every dictionary of this model: a feature's parent is the closest feature (highest cosine) of the next smaller dictionary; its children are the features of the next larger dictionary whose parent it is, with a cosine of at least {0}. An edge of this feature's own chain below that is marked weak.", "在本页用该模型所有字典的解码器方向构建的树：一个特征的父节点是下一个较小字典中与它最接近（余弦最高）的特征；它的子节点是下一个较大字典中以它为父节点、且余弦至少为 {0} 的特征。本特征自身链条上低于该值的边标为“弱”。";
    FeaturesFamilyOpen => "Show the family tree (loads the dictionaries' weights, a few megabytes)", "显示家族树（需加载各字典的权重，约数兆字节）";
    FeaturesFamilyLoading => "Loading the weights of", "正在加载权重：";
    FeaturesFamilyCosine => "cosine", "余弦";
    FeaturesFamilyWeak => " (weak)", "（弱）";
    FeaturesFamilyTruncated => "Some children are left out: at most {0} under one feature and {1} in all, the closest kept.", "部分子节点未显示：每个特征下最多 {0} 个，全树最多 {1} 个，保留最接近的。";
    FeaturesBestMatch => "Best match in the other model", "另一个模型中的最佳匹配";
    FeaturesQuantiles => "Samples per activation interval", "各激活区间的样本";
    FeaturesPick => "Pick a feature in the list or on the map.", "请在列表或地图中选择一个特征。";
    FeaturesLoadingFeature => "Loading the feature's chunk…", "正在加载该特征所在的分块……";
    FeaturesDetailError => "This feature could not be loaded:", "无法加载这个特征：";
    FeaturesFeature => "Feature", "字典特征";
    FeaturesNeuron => "Neuron", "神经元";
    FeaturesNeuronsKind => "MLP neurons", "MLP 神经元";
    FeaturesNeuronsGroup => "Neurons of the models (for comparison)", "模型的神经元（用于对比）";
    FeaturesMap => "Feature map", "特征地图";
    FeaturesMapNote => "Every feature, placed by the similarity of its decoder direction, coloured by density (blue rare, red frequent). Wheel to zoom, drag to pan, click to open.", "每个点是一个特征，按解码器方向的相似度排布，按密度着色（蓝色稀少，红色频繁）。滚轮缩放，拖动平移，点击打开。";
    FeaturesMapReset => "Reset view", "重置视图";
    FeaturesRunAgain => "The dictionary changed: run the text again.", "字典已更换：请重新运行文本。";
    FeaturesTopAtToken => "Strongest features at", "最强的字典特征，位于";
    FeaturesCustomText => "Your text", "自定义文本";
    FeaturesCustomNote => "Your browser tokenizes the text, runs the dictionary's language model and the sparse autoencoder, and highlights the open feature on every token. Click a token to list its features.", "浏览器会对文本分词，运行该字典对应的语言模型和稀疏自编码器，并在每个词元上高亮当前打开的特征。点击词元可列出它的特征。";
    FeaturesRun => "Run", "运行";
    FeaturesPanels => "Panels:", "面板：";
    TrainingControls => "Training controls", "训练控制";
    StatusSuspended => "Waiting (out of view)", "等待中（不在视野内）";
    SuspendedNote => "Training waits while the page is hidden or this part of it is out of view, and goes on where it was when you come back.", "页面隐藏或这一部分不在视野内时，训练会等待；回来后从原处继续。";
    DiagnosisTitle => "This result looks degenerate:", "这个结果看起来不正常：";
    DiagToyNothing => "{0} of {1} instances represent no feature (every ‖Wᵢ‖ is below 0.5). Likely cause: too few steps, or a learning rate too small for features this sparse. Try more steps or a larger learning rate.", "{1} 个实例中有 {0} 个没有表示任何特征（所有 ‖Wᵢ‖ 都小于 0.5）。可能的原因：步数太少，或对这么稀疏的特征来说学习率太小。试试更多步数或更大的学习率。";
    DiagSaeCollapsed => "The dictionary collapsed: explained variance {0} with L0 {1}. The sparsity penalty is too strong for this data. Try a smaller sparsity coefficient (or a larger k).", "字典坍缩了：解释方差 {0}，L0 {1}。对这份数据来说稀疏惩罚太强。试试更小的稀疏系数（或更大的 k）。";
    DiagSaeDead => "{0} of the latents never fire (dead). Likely cause: a learning rate too high, or a dictionary much larger than the data needs. Try a lower learning rate, the l1-2023 recipe (it resamples dead latents) or TopK with AuxK.", "{0} 的字典特征从不激活（死特征）。可能的原因：学习率太高，或字典远大于数据所需。试试更低的学习率、l1-2023 方法（会重采样死特征）或带 AuxK 的 TopK。";
    DiagSaeDense => "The code is not sparse: L0 is {0} for {1} input dimensions, so the dictionary copies its input instead of finding features. Try a larger sparsity coefficient or a smaller k.", "编码并不稀疏：输入只有 {1} 维，L0 却是 {0}，字典只是在复制输入，而没有找到特征。试试更大的稀疏系数或更小的 k。";
    DiagPhaseUnsettled => "{0} of {1} cells have no majority among their models: they did not settle. Try more steps, more models per cell, or a smaller learning rate.", "{1} 个格子中有 {0} 个的模型没有形成多数意见：它们没有收敛。试试更多步数、每格更多模型，或更小的学习率。";
    RunGpuTooSmall => "The GPU cannot hold this run ({0}): it trains on the CPU; the GPU stays in use for the next run.", "GPU 容纳不下这次运行（{0}）：本次在 CPU 上训练，下次运行仍会使用 GPU。";
    RunTooLarge => "This run needs about {0} of memory ({1} alone: {2}), more than the {3} a page may use. Choose fewer instances, features or latents, or a smaller batch.", "这次运行约需 {0} 内存（仅{1}就占 {2}），超过了页面可用的 {3}。请减少实例、特征或字典特征的数量，或减小批量。";
    MemParameters => "parameters", "参数";
    MemGradients => "gradients", "梯度";
    MemOptimizerState => "optimizer state", "优化器状态";
    MemBatch => "batch buffers", "批量缓冲区";
    MemActivations => "activations", "激活值";
    MemStaging => "snapshots and copies", "快照与副本";
    MemEvaluation => "evaluation", "评估";
    MemData => "data", "数据";
    MemOther => "other buffers", "其他缓冲区";
    SaeFileTooBig => "{name}: {0} MB; the page reads activation files of at most {1} MB.", "{name}：{0} MB；页面最多读取 {1} MB 的激活文件。";
    SaeFileUnreadable => "{name}: the browser could not read the file.", "{name}：浏览器无法读取该文件。";
    SaeFileTooWide => "{name}: {0} values per row; the lab takes at most {1}.", "{name}：每行 {0} 个值；实验台最多接受 {1} 个。";
    SaeFileRefused => "{name}: {0}", "{name}：{0}";
    RunResumedNewDevice => "The GPU stopped working ({0}). Training resumed on a new GPU device from step {1}.", "GPU 停止工作（{0}）。训练已在新的 GPU 设备上从第 {1} 步继续。";
    RunResumedCpu => "The GPU stopped working ({0}). Training resumed on the CPU from step {1}.", "GPU 停止工作（{0}）。训练已在 CPU 上从第 {1} 步继续。";
    Perturb => "Perturbed feature (FEATURE:FACTOR)", "扰动特征（特征:倍数）";
    PresetNameIntro => "Intro: 5 features in 2 dimensions", "入门：2 个维度中的 5 个特征";
    PresetNameSparsitySweep => "Superposition against sparsity", "叠加与稀疏度";
    PresetNameLargeSweep => "Larger sparsity sweep", "更大的稀疏度扫描";
    PresetNameDimsPerFeature => "Dimensions per feature (200 → 20)", "每特征维数（200 → 20）";
    PresetNameDimsPerFeature400 => "Dimensions per feature (400 → 30)", "每特征维数（400 → 30）";
    PresetNamePrivileged => "Privileged basis", "特权基";
    PresetNameAbs => "Computation: |x|", "计算：|x|";
    PresetNameCorrelated => "Correlated features", "相关特征";
    PresetNameAnticorrelated => "Anticorrelated features", "反相关特征";
    PresetNamePerturbed => "One feature perturbed", "一个特征受扰动";
    PresetNameAntiprism => "Square antiprism: 8 features in 3 dimensions", "四角反棱柱：3 个维度中的 8 个特征";
    PresetAntiprism => "Eight equally important, very sparse features in three dimensions. Each instance starts from its own random weights, and each settles into the same shape: a square antiprism, with every feature's dimensionality near 3/8.", "三个维度中的八个同等重要、非常稀疏的特征。每个实例从各自的随机权重出发，最后都落到同一个形状：四角反棱柱，每个特征的维度都接近 3/8。";
    TourTitle => "Guided tour", "导览";
    TourStep => "Step", "第";
    TourSteps => "Steps of the tour", "导览的步骤";
    TourUnknownStep => "There is no tour step called", "导览中没有这个步骤：";
    TourTry => "Try this:", "试一试：";
    TourGoalMet => "Shown:", "已显示：";
    TourGoalWaiting => "Watch for:", "留意：";
    TourWidget => "Live widget", "实时组件";
    TourBack => "← Back", "← 上一步";
    TourNext => "Next →", "下一步 →";
    TourExplore => "Explore on your own", "自己探索";
    TourQr => "QR code", "二维码";
    TourQrLabel => "QR code of this step's address", "本步骤地址的二维码";
    TourQrTooLong => "This address is too long for a QR code.", "这个地址太长，无法生成二维码。";
    TourSources => "Sources", "出处";
    TourOpenFull => "Open the guided tour in Polytope", "在 Polytope 中打开导览";
    TourDensitySlider => "Feature density", "特征密度";
    TourFeatureNames => "dog,apple,heart,eye,car", "狗,苹果,心脏,眼睛,汽车";
    TourOffline => "Prepare for offline use", "准备离线使用";
    TourOfflineWorking => "Downloading what the tour needs: {0} of {1} files…", "正在下载导览所需文件：{0} / {1}…";
    TourOfflineReady => "Ready: this browser can now run the whole tour without a network ({0} files checked and kept).", "已就绪：此浏览器现在无需联网即可运行整个导览（已校验并保存 {0} 个文件）。";
    TourOfflineNoWorker => "This browser keeps no offline copy here (no service worker): stay online during class.", "此浏览器无法在这里保存离线副本：上课时请保持联网。";
    TourOfflineFailed => "Could not prepare the tour for offline use: {0}", "无法为离线使用准备导览：{0}";
    TourInputs => "Input features switched on", "打开的输入特征";
    TourOutputsLabel => "Each feature's output: the light bar is the signal before the bias and the ReLU, the dark bar the output", "每个特征的输出：浅色条是加偏置和 ReLU 之前的信号，深色条是输出";
    TourOutputsKey => "Light: the signal a feature receives before the bias and the ReLU. Dark: its output. Red: an output for a feature that is off.", "浅色：特征在加偏置和 ReLU 之前收到的信号。深色：它的输出。红色：本应关闭的特征却有输出。";
    TourTraining => "Training the model…", "正在训练模型……";
    TourDense => "dense features", "稠密特征";
    TourSparse => "sparse features", "稀疏特征";
    TourWidth => "Layer width (neurons)", "层宽度（神经元数）";
    TourExpansion => "Expansion (features per neuron)", "扩展倍数（每个神经元对应的特征数）";
    TourTokens => "Training activations", "训练用的激活数";
    TourFeatures => "Features", "特征数";
    TourParameters => "Parameters", "参数量";
    TourFlop => "Training arithmetic (FLOP)", "训练运算量（FLOP）";
    TourOurModel => "Try:", "试试：";
    HomeTourStart => "Start the guided tour", "开始导览";
    TourLoading => "Loading the model and the text…", "正在加载模型和文本……";
    TourRunningModel => "Running the model over the text", "正在让模型读文本";
    TourEncoding => "Encoding with the dictionary", "正在用字典编码";
    TourCorrelating => "Correlating the units of the two models…", "正在计算两个模型各单元的相关性……";
    TourLiveEv => "Explained variance on this text", "在这段文本上的解释方差";
    TourLiveL0 => "Active features per token on this text", "在这段文本上每个词元激活的特征数";
    TourNeurons => "Neurons", "神经元";
    TourFeaturesLabel => "Dictionary features", "字典特征";
    TourRandom => "Random directions (control)", "随机方向（对照）";
    TourMedian => "median", "中位数";
    TourTokenRuleNote => "Score: how well a list of at most 10 tokens predicts where the unit reaches a quarter of its maximum on this text (F1; 1: the list predicts it exactly). Units active on fewer than 10 tokens of this text are not scored.", "得分：一份至多 10 个词元的清单，能多准确地预测该单元在这段文本上哪里达到其最大值的四分之一（F1 值；1 表示清单完全预测准确）。在这段文本上激活少于 10 个词元的单元不计分。";
    TourShippedScores => "The same measure over every evaluation token, as the data ships it:", "用同一指标在全部评估词元上的结果（内置数据）：";
    TourShippedScoresLink => "dictionary overview", "字典概览";
    TourFamilyTreeNote => "These edges compare activations. The feature page draws the same family from decoder directions, as a tree across every size that you can walk:", "这些边比较的是激活。特征页面还会按解码器方向画出同一个家族，一棵跨越所有大小、可以逐层浏览的树：";
    TourFamilyTreeLink => "the God feature's family tree", "“上帝”特征的家族树";
    TourPairCorrelation => "Correlation of the feature with its match in model B, on this text:", "该特征与模型 B 中匹配特征在这段文本上的相关性：";
    SaeNoGroundTruth => "No ground truth for this source.", "这个数据来源没有真实特征可比较。";
    // Document titles, link previews (src/site.rs), the crash card (src/panic.rs) and the
    // new-version banner (src/offline.rs).
    TitleFeature => "Feature {0}", "字典特征 {0}";
    TitleTour => "Guided tour", "导览";
    DescHome => "Watch neural networks put many features into few neurons: toy models of superposition and sparse autoencoders, trained live in your browser.", "看神经网络如何把许多特征放进少数神经元：在浏览器中实时训练叠加的玩具模型和稀疏自编码器。";
    DescToy => "Train toy models of superposition live on your GPU and watch features arrange themselves as digons, triangles and pentagons.", "在你的 GPU 上实时训练叠加的玩具模型，看特征排列成二边形（对跖对）、三角形和五边形。";
    DescGeometry => "Dimensions per feature against sparsity: watch the features of a training toy model settle at the fractions of the polytopes.", "每特征维数与稀疏度：看训练中的玩具模型的特征如何落在各个多胞形对应的分数上。";
    DescPhase => "Phase diagrams of superposition: when does an extra feature get its own dimension, share one, or get dropped?", "叠加的相图：额外的特征何时独占一个维度、与其他特征共享一个维度，或被丢弃？";
    DescSae => "Train a sparse autoencoder in your browser and watch it recover known features: four recipes, live metrics.", "在浏览器中训练稀疏自编码器，看它找回已知的特征：四种训练方法，实时指标。";
    DescFeatures => "Browse the features that sparse autoencoders found in two small language models: top activations, logit effects, feature splitting.", "浏览稀疏自编码器在两个小型语言模型中找到的特征：最强激活样例、logit 效应、特征分裂。";
    DescCompute => "What your browser's GPU can do for Polytope: the WebGPU adapter, the limits that matter, and a self-check against the CPU.", "你的浏览器 GPU 能为 Polytope 做什么：WebGPU 适配器、关键限制，以及与 CPU 对照的自检。";
    DescTour => "A guided tour of superposition and sparse autoencoders, one live experiment per step.", "叠加与稀疏自编码器的导览：每一步都有一个实时实验。";
    CrashTitle => "Polytope stopped because of an error", "Polytope 因为一个错误而停止运行";
    CrashBody => "Something went wrong inside the app, and this page cannot go on. Nothing was sent anywhere.", "应用内部出了问题，这个页面无法继续运行。没有任何内容被发送出去。";
    CrashReload => "Reload with default settings", "以默认设置重新加载";
    CrashReport => "To report the problem, copy this message into a bug report:", "如需报告这个问题，请把下面的信息复制到错误报告中：";
    UpdateAvailable => "A new version of Polytope is available.", "Polytope 有新版本了。";
    UpdateReload => "Reload", "重新加载";
    UpdateDismiss => "Later", "稍后";
    PlotNoSteps => "no steps yet", "尚未开始训练";
    PlotNoInstances => "no instances", "没有实例";
    PlotNotStarted => "training has not started", "训练尚未开始";
    PlotNoRepresented => "no feature is represented", "没有被表示的特征";
    PlotEmptyGrid => "empty grid", "网格为空";
    PlotNoDensities => "no densities yet", "尚无密度数据";
    PlotNoScores => "no scores", "没有评分";
    PlotNoSizes => "no dictionaries", "没有字典";
    PlotDirectionsDims => "directions are drawn for 2 or 3 dimensions", "仅在 2 或 3 个维度时绘制方向";
    PlotNoTruth => "no ground truth", "没有真实特征可比较";
    PlotStep => "step", "步";
    PlotLossAxis => "loss", "损失";
    PlotDead => "dead", "死特征";
    PlotLearnedAxis => "learned latents (sorted by matching) →", "学到的字典特征（按匹配排序）→";
    PlotTrueAxis => "true", "真实特征";
    PlotNeuronShort => "n{neuron}", "{neuron}";
    PlotHiddenAxis => "h{k}", "维度{k}";
    PlotTipNorm => "feature {feature}: ‖W‖ = {norm}, superposition = {sup}", "特征 {feature}：‖W‖ = {norm}，叠加程度 = {sup}";
    PlotTipNeuron => "neuron {neuron}, feature {feature}: W = {w}", "神经元 {neuron}，特征 {feature}：W = {w}";
    PlotTipVector => "feature {feature}: W = {w}, ‖W‖ = {norm}", "特征 {feature}：W = {w}，‖W‖ = {norm}";
    PlotTipGramRow => "feature {feature}: ‖W‖² = {value}", "特征 {feature}：‖W‖² = {value}";
    PlotTipLoss => "instance {instance}: loss {loss} at step {step}", "实例 {instance}：第 {step} 步时损失 {loss}";
    PlotTipDimsFeature => "instance {instance}, feature {feature}: D = {d}", "实例 {instance}，特征 {feature}：D = {d}";
    PlotTipDimsInstance => "instance {instance}: 1/(1−S) = {x}, D* = {d}", "实例 {instance}：1/(1−S) = {x}，D* = {d}";
    PlotTipEnergy => "feature {feature}: D = {d} at step {step}", "特征 {feature}：第 {step} 步时 D = {d}";
    PlotTipFeature => "feature {feature}", "特征 {feature}";
    PlotTipPhase => "density {density}, relative importance {importance}: {regime}", "密度 {density}，相对重要性 {importance}：{regime}";
    PlotPending => "pending", "计算中";
    PlotTipResampled => "resampled {count} dead latents at step {step}", "第 {step} 步重采样了 {count} 个死特征";
    PlotTipScoreBin => "score {from} to {to}: {shares}", "评分 {from} 至 {to}：{shares}";
    PlotTipSizePoint => "{name}, {features} features: {value}", "{name}，{features} 个字典特征：{value}";
    PlotTipCurve => "{name}: {value} at step {step}", "{name}：第 {step} 步为 {value}";
    PlotTipDead => "{count} dead latents (never fired)", "{count} 个死特征（从未激活）";
    PlotTipDensity => "{count} latents with density 10^{lo} to 10^{hi}", "{count} 个字典特征，密度在 10^{lo} 到 10^{hi} 之间";
    PlotTipTrueFeature => "true feature {feature}", "真实特征 {feature}";
    PlotTipLatent => "latent {latent}", "字典特征 {latent}";
    PlotTipUnmatched => " (unmatched)", "（未匹配）";
    PlotTipMatched => " → true feature {feature}", " → 真实特征 {feature}";
    PlotTipDeadSuffix => ", dead", "，死特征";
    PlotTipCosine => "true feature {feature} · latent {latent}: cos {cos}", "真实特征 {feature} · 字典特征 {latent}：余弦 {cos}";
    PlotCapVectors => "Directions of {n} features in {m} hidden dimensions; {represented} have a norm above 0.5.", "{n} 个特征在 {m} 个隐藏维度中的方向；其中 {represented} 个的范数大于 0.5。";
    PlotCapGram => "WᵀW of {n} features and the bias; {pairs} pairs of features interfere (|Wᵢ·Wⱼ| above 0.1).", "{n} 个特征的 WᵀW 与偏置；{pairs} 对特征相互干扰（|Wᵢ·Wⱼ| 大于 0.1）。";
    PlotCapNorms => "Norms of {n} features: {represented} represented (norm above 0.5), {shared} of them in superposition.", "{n} 个特征的范数：{represented} 个已表示（范数大于 0.5），其中 {shared} 个处于叠加。";
    PlotCapNeurons => "Weights of {n} features on each of {m} neurons.", "{n} 个特征在 {m} 个神经元上的权重。";
    PlotCapLoss => "Loss of {count} instances, up to step {step}.", "{count} 个实例的损失，截至第 {step} 步。";
    PlotCapMultiples => "Feature directions of each of {count} instances.", "{count} 个实例各自的特征方向。";
    PlotCapDims => "Dimensions per feature of {count} instances against 1/(1−S).", "{count} 个实例的每特征维数与 1/(1−S) 的关系。";
    PlotCapEnergy => "Dimensionality of {n} features over training, up to step {step}.", "{n} 个特征在训练中的特征维度，截至第 {step} 步。";
    PlotCapGraph => "{n} represented features in {groups} groups that share dimensions.", "{n} 个已表示的特征分为 {groups} 组，组内共享维度。";
    PlotCapPhase => "Phase diagram: {done} of {total} cells computed.", "相图：已计算 {done} / {total} 个格子。";
    PlotCapCurves => "{count} curves up to step {step}; {events} resamplings.", "{count} 条曲线，截至第 {step} 步；重采样 {events} 次。";
    PlotCapDensity => "Density histogram of {total} latents; {dead} dead.", "{total} 个字典特征的密度直方图；{dead} 个死特征。";
    PlotCapScores => "Distribution of one score for {count} groups of units.", "{count} 组单元的同一项评分的分布。";
    PlotCapSizes => "Quality of {count} dictionaries of one model against their size.", "同一模型 {count} 个字典的质量随字典大小的变化。";
    PlotCapDictionary => "{learned} learned directions over {truth} true features; {matched} matched.", "{learned} 个学到的方向与 {truth} 个真实特征；{matched} 个已匹配。";
    PlotCapCosine => "Cosine similarity of {rows} true features with {cols} learned latents.", "{rows} 个真实特征与 {cols} 个学到的字典特征的余弦相似度。";
    PlotMoreRows => "{count} more rows in the CSV export.", "另有 {count} 行，见 CSV 导出。";
    PlotColFeature => "feature", "特征";
    PlotColInstance => "instance", "实例";
    PlotColNeuron => "neuron", "神经元";
    PlotColCoordinates => "coordinates", "坐标";
    PlotColSuperposition => "superposition", "叠加程度";
    PlotColBias => "bias", "偏置";
    PlotColInterference => "strongest interference", "最强干扰";
    PlotColStrongest => "strongest features", "权重最大的特征";
    PlotColRepresented => "represented features", "已表示的特征数";
    PlotColDensity => "density", "密度";
    PlotColImportance => "relative importance", "相对重要性";
    PlotColRegime => "regime", "状态";
    PlotColMetric => "curve", "曲线";
    PlotColValue => "last value", "最新值";
    PlotColGroup => "group", "组";
    PlotColLatents => "latents", "字典特征数";
    PlotColScored => "scored units", "已评分单元";
    PlotColMedianBin => "median (bin)", "中位数（所在区间）";
    PlotColFeatures => "features", "字典特征数";
    PlotColLatent => "latent", "字典特征";
    PlotColMatch => "matched true feature", "匹配的真实特征";
    PlotColAlive => "alive", "活跃";
    PlotColCosine => "cosine", "余弦";
    PlotColTitle => "title", "标题";
    PlotYes => "yes", "是";
    PlotNo => "no", "否";
    PlotKeys => "Arrow keys move between the features or instances of the plot, Enter or Space selects, Shift with the arrows rotates a 3-D view.", "方向键在图中的特征或实例之间移动，回车键或空格键选中，Shift 加方向键旋转三维视图。";
    PlotDataTable => "The plot's data", "图中的数据";
    ExportPng => "Download the plot as a PNG image", "导出 PNG 图片";
    ExportSvg => "Download the plot as an SVG drawing", "导出 SVG 矢量图";
    ExportCsv => "Download the plot's numbers as CSV", "导出 CSV 数据";
    NavMain => "Main", "主导航";
    ThemeToDark => "Dark theme", "深色主题";
    ThemeToLight => "Light theme", "浅色主题";
    FeaturesMapKeys => "Keys: arrows pan, + and − zoom, 0 resets, Enter opens the feature nearest the centre.", "键盘：方向键平移，+ 和 − 缩放，0 重置，回车键打开离中心最近的特征。";
    FeaturesMapCentre => "Nearest the centre:", "离中心最近：";
    FeaturesTokenKeys => "Tokens: arrow keys move between them, Enter lists the features active at a token.", "词元：方向键在词元之间移动，回车键列出该词元上激活的特征。";
    FeaturesTopTokenKeys => "Arrow keys move between tokens; Enter runs the snippet in “Your text” and lists the features active at the token.", "方向键在词元之间移动；回车键在“自定义文本”中运行这段文字，并列出该词元上激活的特征。";
    FeaturesActivation => "activation", "激活值";
    FeaturesTextSearchLabel => "Text to search for in the snippets", "在片段中搜索的文本";
    FeaturesWindow => "window", "窗口";
    FeaturesPanelDetail => "Feature details", "特征详情";
    ComputeElapsed => "Time (ms)", "用时（毫秒）";
    ComputeNotDisclosed => "(not disclosed by the browser)", "（浏览器未提供）";
    DeviceDiscrete => "Discrete GPU", "独立显卡";
    DeviceIntegrated => "Integrated GPU", "集成显卡";
    DeviceVirtual => "Virtual GPU", "虚拟 GPU";
    DeviceCpu => "CPU (software rendering)", "CPU（软件渲染）";
    DeviceOther => "Other", "其他";
    HistogramLabel => "{0}: {1} bins from {2} to {3}", "{0}：{1} 个区间，从 {2} 到 {3}";
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

/// The label of a toy-model setting (`TmsSettings`'s description).
pub fn tms_setting_label(name: &str) -> Key {
    match name {
        "preset" => Key::Preset,
        "model" => Key::Model,
        "n" => Key::Features,
        "m" => Key::Hidden,
        "importance" => Key::Importance,
        "density" => Key::Density,
        "perturb" => Key::Perturb,
        "correlation" => Key::Correlation,
        "optimizer" => Key::Optimizer,
        "lr" => Key::LearningRate,
        "schedule" => Key::Schedule,
        "batch" => Key::Batch,
        "steps" => Key::Steps,
        _ => Key::Seed,
    }
}

/// The label of an SAE setting (`SaeSettings`'s description).
pub fn sae_setting_label(name: &str) -> Key {
    match name {
        "source" => Key::SaeSource,
        "variant" => Key::SaeVariant,
        "d_in" => Key::SaeDIn,
        "features" => Key::SaeFeatures,
        "density" => Key::SaeToyDensity,
        "d_sae" => Key::SaeDictSize,
        "k" => Key::SaeK,
        "l1" => Key::SaeSparsity,
        "lr" => Key::SaeLr,
        "batch" => Key::Batch,
        "steps" => Key::Steps,
        _ => Key::Seed,
    }
}

/// The label of a phase-diagram setting (`PhaseSettings`'s description).
pub fn phase_setting_label(name: &str) -> Key {
    match name {
        "n" => Key::PhaseSetup,
        "m" => Key::Hidden,
        "resolution" => Key::PhaseResolution,
        "models" => Key::PhaseModels,
        "steps" => Key::Steps,
        "lr" => Key::LearningRate,
        "batch" => Key::Batch,
        _ => Key::Seed,
    }
}

/// The label of one choice of a setting, when it is not shown as written.
pub fn choice_label(setting: &str, value: &str) -> Option<Key> {
    Some(match (setting, value) {
        ("preset", p) => preset_name(p),
        ("model", "relu") => Key::ModelRelu,
        ("model", "linear") => Key::ModelLinear,
        ("model", "privileged") => Key::ModelPrivileged,
        ("model", "abs") => Key::ModelAbs,
        ("source", "synthetic") => Key::SaeSourceSynthetic,
        ("source", "toy") => Key::SaeSourceToy,
        ("source", "lm") => Key::SaeSourceLm,
        ("variant", "l1-2023") => Key::SaeVariantL12023,
        ("variant", "l1-2024") => Key::SaeVariantL12024,
        ("variant", "topk") => Key::SaeVariantTopK,
        ("variant", "jumprelu") => Key::SaeVariantJumpRelu,
        ("n", "2") => Key::PhaseSetup21,
        ("n", "3") => Key::PhaseSetup32,
        _ => return None,
    })
}

/// A preset's name in the dropdown.
pub fn preset_name(name: &str) -> Key {
    match name {
        "sparsity-sweep" => Key::PresetNameSparsitySweep,
        "large-sweep" => Key::PresetNameLargeSweep,
        "dims-per-feature" => Key::PresetNameDimsPerFeature,
        "dims-per-feature-400" => Key::PresetNameDimsPerFeature400,
        "privileged-basis" => Key::PresetNamePrivileged,
        "abs" => Key::PresetNameAbs,
        "correlated" => Key::PresetNameCorrelated,
        "anticorrelated" => Key::PresetNameAnticorrelated,
        "perturbed" => Key::PresetNamePerturbed,
        "antiprism" => Key::PresetNameAntiprism,
        _ => Key::PresetNameIntro,
    }
}

/// The explanation of a preset.
pub fn preset_about(name: &str) -> Key {
    match name {
        "sparsity-sweep" => Key::PresetSparsitySweep,
        "large-sweep" => Key::PresetLargeSweep,
        "dims-per-feature" => Key::PresetDimsPerFeature,
        "dims-per-feature-400" => Key::PresetDimsPerFeature400,
        "privileged-basis" => Key::PresetPrivileged,
        "abs" => Key::PresetAbs,
        "correlated" => Key::PresetCorrelated,
        "anticorrelated" => Key::PresetAnticorrelated,
        "perturbed" => Key::PresetPerturbed,
        "antiprism" => Key::PresetAntiprism,
        _ => Key::PresetIntro,
    }
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

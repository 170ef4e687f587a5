//! The tour's texts: fifteen steps, each with a live widget, that retell the essay the project
//! began from (Scott Alexander, 2023, on Anthropic's "Toy Models of Superposition" and "Towards
//! Monosemanticity"; a Chinese translation is in `shared/seed/essay-zh.txt`), in English and in
//! 简体中文.
//!
//! # Conventions
//! - The texts are ours. The essay and the papers are cited per step ([`StepText::cites`]), never
//!   quoted beyond a word or a number.
//! - Terms follow `shared/reference/glossary.md`. Where the essay's Chinese uses another word, the
//!   Chinese text gives ours first and the essay's after it: 二边形（对跖对；原文作“双边形”）,
//!   四角反棱柱（原文作“反棱柱方形”）, 叠加（原文作“叠加态”）, 多胞形（原文作“多面体”）,
//!   干扰（原文作“混淆”）, 稀疏自编码器（原文作“稀疏自动编码器”）, 多义/单义（原文作“多义性”/“单义性”）.
//!   The English texts use the essay's image of a small network "simulating a bigger one".
//! - Plain text: paragraphs separated by `"\n\n"`, no HTML, no Markdown.
//! - A name in braces (`{ev}`) is a placeholder the app fills from the shipped data, from
//!   `index.json`'s highlights or from the device; [`PLACEHOLDERS`] lists each with its meaning and
//!   format. Everything that changes when `public/data/` is rebuilt (metrics, unit ids, tokens) is a
//!   placeholder, so a rebuild never makes a text false. Tokens (`{god_token}`, `{god_promoted}`)
//!   are data: the app renders them as tokens marked `translate="no"`.
//! - Numbers written out are fixed: the papers' (400 features in 30 dimensions; median best
//!   correlation 0.72 for features and 0.46 for neurons; 512 → 16,384 features in the splitting
//!   example; ~20 billion parameters for a 100× dictionary on a 10,000-wide layer) and our model's
//!   architecture (512 MLP neurons).
//! - The Chinese translation of the essay renders the paper's "~20 billion parameters" as
//!   “约 20 亿”: a mistranslation (2 × 10,000 × 1,000,000 = 2 × 10¹⁰ = 200 亿). The scaling step
//!   says so, since a reader who checks the calculator against the translation would otherwise
//!   find a factor of ten.
//!
//! # Order
//! The essay's: polysemantic neurons; five concepts in two neurons and the confusion it risks; the
//! 400-in-30 experiment (sparsity, dimensions per feature, the shapes); the small network
//! simulating and computing with a bigger one; the autoencoder that decodes it; the God feature;
//! its splitting (the Godzilla question); neurons against features; universality; scaling and
//! what remains open. Two departures: the phase diagram (`phase-change`) is not in the essay and
//! sits after the shapes, where the paper puts it beside them; and the decoding step on a toy
//! model (`decoding`) comes before the real model, so the reader sees an autoencoder succeed where
//! the answer is known before trusting one where it is not.

/// A source for a step, in both languages.
pub struct Cite {
    pub en: &'static str,
    pub zh: &'static str,
}

/// The texts of one tour step. Bodies are 1-3 paragraphs separated by `"\n\n"`.
pub struct StepText {
    /// The step's address: `/tour/SLUG`.
    pub slug: &'static str,
    pub title_en: &'static str,
    pub title_zh: &'static str,
    pub body_en: &'static str,
    pub body_zh: &'static str,
    /// One line: what to do in the widget.
    pub try_en: &'static str,
    pub try_zh: &'static str,
    /// One line: what the widget shows once the step has made its point (`goal_met`).
    pub goal_en: &'static str,
    pub goal_zh: &'static str,
    pub cites: &'static [Cite],
}

/// A placeholder used in the texts: its name (without braces) and what the app puts there.
pub struct Placeholder {
    pub name: &'static str,
    pub meaning: &'static str,
}

/// Every placeholder the texts use.
pub const PLACEHOLDERS: &[Placeholder] = &[
    Placeholder {
        name: "neuron",
        meaning: "polysemantic: index of the polysemantic neuron of model A from index.json's highlights (e.g. 407)",
    },
    Placeholder {
        name: "dpf_n",
        meaning: "dims-per-feature: number of features the step trains on this device (400 on a fast GPU, fewer on the CPU)",
    },
    Placeholder {
        name: "dpf_m",
        meaning: "dims-per-feature: number of hidden dimensions the step trains on this device (30 on a fast GPU, fewer on the CPU)",
    },
    Placeholder {
        name: "dict_size",
        meaning: "real-model: number of features of the tour's main dictionary of model A, with a thousands separator (e.g. 4,096)",
    },
    Placeholder {
        name: "ev",
        meaning: "real-model: explained variance of that dictionary, in percent, one decimal (e.g. 88.5); the text adds the % sign",
    },
    Placeholder {
        name: "l0",
        meaning: "real-model: mean number of active features per token (L0), one decimal (e.g. 16.0)",
    },
    Placeholder {
        name: "loss_recovered",
        meaning: "real-model: loss recovered, in percent, one decimal (e.g. 95.6); the text adds the % sign",
    },
    Placeholder {
        name: "dead",
        meaning: "real-model: number of dead features of that dictionary (e.g. 194)",
    },
    Placeholder {
        name: "ultralow",
        meaning: "real-model: number of ultralow-density features (density below 1e-5) of that dictionary (e.g. 139)",
    },
    Placeholder {
        name: "god_feature",
        meaning: "god-feature: the God feature from index.json's highlights, as the browser names it (e.g. a-4096/718)",
    },
    Placeholder {
        name: "god_token",
        meaning: "god-feature: that feature's top token, rendered as a token with translate=\"no\" (e.g. \u{201c} God\u{201d})",
    },
    Placeholder {
        name: "god_promoted",
        meaning: "god-feature: its three or four most promoted next tokens (logit effects), each rendered as a token, separated by commas",
    },
    Placeholder {
        name: "god_neuron",
        meaning: "god-feature: the neuron with the largest share of the feature's decoder weight (linked to its neuron page)",
    },
    Placeholder {
        name: "god_top_share",
        meaning: "god-feature: that neuron's share of the feature's decoder L1 weight, in percent, no decimal (e.g. 6); the text adds the % sign",
    },
    Placeholder {
        name: "interp_features",
        meaning: "neurons-vs-features: median interpretability score of the main dictionary's live features, two decimals",
    },
    Placeholder {
        name: "interp_neurons",
        meaning: "neurons-vs-features: median interpretability score of model A's 512 neurons, same measure, two decimals",
    },
    Placeholder {
        name: "interp_random",
        meaning: "neurons-vs-features: median score of the random-direction control, same measure, two decimals",
    },
    Placeholder {
        name: "univ_features",
        meaning: "universality: median over live features of the best activation correlation with model B's dictionary of the same size, two decimals (e.g. 0.67)",
    },
    Placeholder {
        name: "univ_neurons",
        meaning: "universality: the same median for model A's neurons against model B's, two decimals (e.g. 0.30)",
    },
];

const ESSAY_INSIDE: Cite = Cite {
    en: "Scott Alexander, 2023, 'God Help Us, Let's Try To Understand AI Monosemanticity', section 'Inside Every AI Is A Bigger AI, Trying To Get Out' (Chinese translation in the seed essay)",
    zh: "Scott Alexander，2023，《神啊，救救我们，让我们试着理解人工智能的“单义性”》，“每个 AI 内部都蕴藏着一个更大的 AI 在挣扎突破”一节（中译本即本项目的种子文章）",
};

const ESSAY_GOD: Cite = Cite {
    en: "Scott Alexander, 2023, 'God Help Us, Let's Try To Understand AI Monosemanticity', section 'God From The Machine' (Chinese translation in the seed essay)",
    zh: "Scott Alexander，2023，《神啊，救救我们，让我们试着理解人工智能的“单义性”》，“机器中的神”一节（中译本即本项目的种子文章）",
};

const ESSAY_SOUL: Cite = Cite {
    en: "Scott Alexander, 2023, 'God Help Us, Let's Try To Understand AI Monosemanticity', section 'I Have Seen The Soul Of The AI, And It Is Good' (Chinese translation in the seed essay)",
    zh: "Scott Alexander，2023，《神啊，救救我们，让我们试着理解人工智能的“单义性”》，“我已见证 AI 的灵魂，它令人欣喜”一节（中译本即本项目的种子文章）",
};

/// The steps, in the tour's order.
pub const STEPS: &[StepText] = &[
    StepText {
        slug: "polysemantic",
        title_en: "A neuron that does many things",
        title_zh: "一个神经元，许多含义",
        body_en: "We would like each neuron of a network to stand for one thing: a dog neuron, a car \
                  neuron. Trained networks rarely work that way. In an image model, Olah and \
                  colleagues found a neuron that responds to cat faces, to the fronts of cars and to \
                  cat legs. A neuron with several unrelated meanings is called polysemantic.\n\n\
                  The widget shows the same thing in a language model: our one-layer transformer \
                  runs in this page over sample text, and each token is shaded by how strongly \
                  neuron {neuron} fires on it. Look for one idea that covers every bright spot.",
        body_zh: "我们希望网络里的每个神经元只代表一样东西：一个“狗”神经元，一个“汽车”神经元。\
                  训练出来的网络很少这样。在一个图像模型里，研究者发现同一个神经元对猫脸、汽车车头和\
                  猫腿都有反应。身兼几种互不相关含义的神经元，称为多义神经元（原文作“多义性”）。\n\n\
                  这一步的组件在语言模型里展示同样的现象：我们训练的单层语言模型在本页中读一段样例文本，\
                  每个词元按神经元 {neuron} 在它上面的激活强度着色。试着找一个概念，概括所有亮起的地方。",
        try_en: "Scroll through the text and note each kind of passage where neuron {neuron} lights up; then type a sentence of your own.",
        try_zh: "滚动浏览文本，记下神经元 {neuron} 在哪几类段落上亮起；再输入一句你自己的话试试。",
        goal_en: "The neuron fires strongly in passages that have nothing obvious in common.",
        goal_zh: "这个神经元在几类毫无明显共同点的段落上都强烈激活。",
        cites: &[
            Cite {
                en: "Olah et al. 2020, 'Zoom In: An Introduction to Circuits' (Distill), the polysemantic neuron 4e:55 of InceptionV1",
                zh: "Olah 等，2020，《Zoom In: An Introduction to Circuits》（Distill），InceptionV1 的多义神经元 4e:55",
            },
            ESSAY_INSIDE,
        ],
    },
    StepText {
        slug: "five-in-two",
        title_en: "Five features in two neurons",
        title_zh: "两个神经元，五个特征",
        body_en: "Suppose a network has to keep track of five things, dog, apple, heart, eye and car, \
                  but has only two neurons. Each feature gets a direction in the plane of those two \
                  neurons, and training chooses the directions.\n\n\
                  Move the density slider. While every feature is present most of the time, the \
                  model gives the two most important ones, dog and apple, perpendicular directions \
                  and drops the other three. As features get rarer it starts to share: first pairs \
                  of features back to back on one line, then all five around a pentagon. This \
                  sharing is superposition. The essay pictures it as the small network simulating a \
                  bigger one that has a neuron for every feature.",
        body_zh: "假设一个网络要记住五样东西：狗、苹果、心脏、眼睛、汽车，却只有两个神经元。\
                  每个特征在这两个神经元张成的平面上占一个方向，方向由训练决定。\n\n\
                  拖动密度滑块。特征几乎总在出现时，模型只给最重要的两个（狗和苹果）各分一个互相垂直的\
                  方向，另外三个被丢弃。特征越罕见，模型越愿意共享：先是两个特征背靠背共用一条直线，\
                  即二边形（对跖对；原文作“双边形”），最后五个特征围成五边形。这种共享就是叠加\
                  （原文作“叠加态”）。原文把它想象成：小网络在模拟一个更大的网络，那里每个特征各有一个神经元。",
        try_en: "Drag the density slider from 1 down to 0.05 and watch the five arrows.",
        try_zh: "把密度滑块从 1 拖到 0.05，观察五个箭头。",
        goal_en: "At the lowest density all five arrows are about equally long and form a pentagon, each feature's D_i near 2/5.",
        goal_zh: "密度最低时，五个箭头长度相近，围成五边形，每个特征的 D_i 约为 2/5。",
        cites: &[
            Cite {
                en: "Elhage et al. 2022, 'Toy Models of Superposition', 'Introduction' (five features in two dimensions across sparsity) and 'Demonstrating Superposition'",
                zh: "Elhage 等，2022，《叠加的玩具模型》（Toy Models of Superposition），“引言”（Introduction）中二维五特征随稀疏度变化的图，及“演示叠加”（Demonstrating Superposition）一节",
            },
            ESSAY_INSIDE,
        ],
    },
    StepText {
        slug: "interference",
        title_en: "Interference, and why sparsity pays for it",
        title_zh: "干扰，以及稀疏为何划算",
        body_en: "Five directions in a plane cannot all be perpendicular, so one feature leaks into \
                  the others. Every output is x′ = ReLU(WᵀWx + b). Switch on a single feature of \
                  the trained pentagon: its two neighbours receive a small positive leak, which the \
                  negative bias mostly removes, and the two across receive a negative one, which \
                  the ReLU sets to zero. One feature at a time comes out clean.\n\n\
                  Two at once can fool the model: their sum may point at a third feature, which \
                  then fires by mistake, like the essay's dog plus heart read as apple. When \
                  features are rare, such coincidences are rare too, and storing five features \
                  gains far more than the occasional mix-up costs.",
        body_zh: "平面上的五个方向不可能两两垂直，所以一个特征的信号会漏到其他特征上。\
                  每个输出等于各方向信号之和加上偏置，再把负值截为零（ReLU）。在训练好的五边形上\
                  只打开一个特征：相邻的两个特征收到少量正信号，大多被负偏置抵消；对面的两个收到负信号，\
                  被截为零。于是单个特征能干净地输出。\n\n\
                  同时打开两个就可能出错：两者之和也许正指向第三个特征，使它误报，就像原文里狗加心脏\
                  被读成苹果。这就是干扰（原文作“混淆”）。不过特征越稀疏，这种巧合越少，\
                  存下五个特征的收益远大于偶尔出错的代价。",
        try_en: "Switch on one feature and read every output bar; then switch on two features that are not neighbours.",
        try_zh: "打开一个特征，看每个输出条形；再同时打开两个不相邻的特征。",
        goal_en: "One feature on: only its own output is clearly above zero. Two non-neighbours on: the feature between them gets a wrong output.",
        goal_zh: "只开一个特征时，只有它自己的输出明显大于零；同时开两个不相邻的特征时，它们之间的那个特征出现错误输出。",
        cites: &[
            Cite {
                en: "Elhage et al. 2022, 'Toy Models of Superposition', 'Demonstrating Superposition: Mathematical Understanding' (feature benefit against interference)",
                zh: "Elhage 等，2022，《叠加的玩具模型》，“演示叠加：数学理解”（Demonstrating Superposition: Mathematical Understanding）一节（特征收益与干扰）",
            },
            ESSAY_INSIDE,
        ],
    },
    StepText {
        slug: "sparsity",
        title_en: "Sparser features, more superposition",
        title_zh: "越稀疏，越叠加",
        body_en: "Now twenty features of falling importance share five dimensions, and the page \
                  trains one model per density side by side. Each bar is the length of one \
                  feature's direction: near 1, the model represents the feature; near 0, it has \
                  given up on it. The colour tells whether the feature has a dimension to itself \
                  (dark blue) or shares (orange).\n\n\
                  In the densest model only the five most important features have bars, each with \
                  its own dimension, like an ordinary compression. Step towards sparser models: \
                  more bars appear, and they turn orange, because the extra features are squeezed \
                  in beside the others. Sparsity is what makes the room.",
        body_zh: "现在二十个重要性递减的特征共用五个维度，页面为每种密度各训练一个模型，同时进行。\
                  每根条形是一个特征方向的长度：接近 1 表示模型表示了这个特征，接近 0 表示放弃了它。\
                  颜色表示它独占一个维度（深蓝），还是与别的特征共享（橙色）。\n\n\
                  最稠密的模型里，只有最重要的五个特征有条形，各占一个维度，就像普通的压缩。\
                  往更稀疏的模型看：条形越来越多，并变成橙色，因为多出来的特征被挤到了别的特征旁边，\
                  进入叠加。是稀疏腾出了空间。",
        try_en: "Step through the models from the densest to the sparsest and count the bars longer than one half.",
        try_zh: "从最稠密的模型逐个看到最稀疏的模型，数一数长度超过一半的条形。",
        goal_en: "The densest model represents five features, all dark blue; the sparsest represents clearly more, most of them orange.",
        goal_zh: "最稠密的模型表示五个特征，全是深蓝；最稀疏的模型表示的特征明显更多，大多是橙色。",
        cites: &[
            Cite {
                en: "Elhage et al. 2022, 'Toy Models of Superposition', 'Demonstrating Superposition: Basic Results' (20 features, 5 dimensions, norms coloured by superposition)",
                zh: "Elhage 等，2022，《叠加的玩具模型》，“演示叠加：基本结果”（Demonstrating Superposition: Basic Results）一节（20 个特征、5 个维度，范数按叠加程度着色）",
            },
            ESSAY_INSIDE,
        ],
    },
    StepText {
        slug: "dims-per-feature",
        title_en: "Hundreds of features, a few dimensions",
        title_zh: "几十个维度，几百个特征",
        body_en: "Scale up: hundreds of equally important features in a few dozen dimensions. The \
                  paper used 400 in 30; on your device this step trains {dpf_n} in {dpf_m}. The \
                  black line is dimensions per feature, D* = m / ‖W‖²_F, roughly what each learned \
                  feature costs, against 1/(1−S), one over the chance that a feature is present.\n\n\
                  Dense features cost a whole dimension each, so most are never learned. As they \
                  get rarer, D* falls, then pauses at 1/2, where features pair up as digons, before \
                  falling again. The coloured dots are single features: they gather at 3/4, 2/3, \
                  1/2, 2/5 and 3/8, the fractions of the shapes in the next step.",
        body_zh: "规模放大：几百个同等重要的特征放进几十个维度。论文用 400 个特征、30 个维度；\
                  为了及时训练完，本步在你的设备上用 {dpf_n} 个特征、{dpf_m} 个维度。\
                  黑线是每特征维数 D* = m / ‖W‖²_F，大致是每个学到的特征要占几个维度；\
                  横轴是 1/(1−S)，即特征出现概率的倒数。\n\n\
                  特征稠密时每个都要占满一个维度，所以大多数学不到。特征越罕见，D* 越低，\
                  并在 1/2 处停留一阵，这时特征两两组成二边形（原文作“双边形”），之后继续下降。\
                  彩色点是单个特征，它们聚集在 3/4、2/3、1/2、2/5、3/8 这些分数上，\
                  正是下一步那些形状的分数。",
        try_en: "Follow the black line from left to right and find where it levels off at 1/2.",
        try_zh: "沿黑线从左往右看，找到它在 1/2 处走平的地方。",
        goal_en: "D* starts at 1 for dense features, falls as features get rarer, and levels off near 1/2.",
        goal_zh: "D* 在特征稠密时为 1，随特征变罕见而下降，并在 1/2 附近走平。",
        cites: &[
            Cite {
                en: "Elhage et al. 2022, 'Toy Models of Superposition', 'The Geometry of Superposition: Uniform Superposition' (dimensions per feature, 400 features in 30 dimensions)",
                zh: "Elhage 等，2022，《叠加的玩具模型》，“叠加的几何：均匀叠加”（The Geometry of Superposition: Uniform Superposition）一节（每特征维数，30 个维度中的 400 个特征）",
            },
            ESSAY_INSIDE,
        ],
    },
    StepText {
        slug: "shapes",
        title_en: "The shapes: from digon to square antiprism",
        title_zh: "几何形状：从二边形到四角反棱柱",
        body_en: "Why those fractions? When features are rare and equally important, the model \
                  splits them into small groups, each in a subspace of its own, arranged as a \
                  regular shape. A feature's dimensionality D_i is the share of a dimension it \
                  receives: 1/2 in a digon (two features back to back on one line), 2/3 in a \
                  triangle, 3/4 in a tetrahedron, 2/5 in a pentagon, and 3/8 in a square antiprism, \
                  eight features in three dimensions.\n\n\
                  Each shape here comes from a small model trained as you watch, not from a \
                  drawing; the 3-D ones turn with a mouse or a finger. The essay enjoys that the \
                  square antiprism is also the shape of One World Trade Center.",
        body_zh: "为什么是这些分数？特征罕见且同样重要时，模型把它们分成小组，每组占一个独立的子空间，\
                  排成规则的形状，即多胞形（原文作“多面体”）。特征维度 D_i 是一个特征分到的维度份额：\
                  二边形（对跖对；原文作“双边形”）中为 1/2，三角形 2/3，四面体 3/4，五边形 2/5，\
                  四角反棱柱（原文作“反棱柱方形”）3/8，即三个维度放八个特征。\n\n\
                  这里的每个形状都来自你眼前正在训练的小模型，而不是画出来的；三维的形状可以用鼠标或\
                  手指旋转。原文还打趣说，四角反棱柱也是纽约世贸中心一号楼的形状。",
        try_en: "Turn each 3-D shape, and compare every feature's D_i with its shape's fraction.",
        try_zh: "旋转每个三维形状，把各特征的 D_i 与所属形状的分数对照。",
        goal_en: "Every shape's features sit near its fraction: 1/2, 2/3, 3/4, 2/5 and 3/8.",
        goal_zh: "每个形状的特征都接近对应的分数：1/2、2/3、3/4、2/5、3/8。",
        cites: &[
            Cite {
                en: "Elhage et al. 2022, 'Toy Models of Superposition', 'The Geometry of Superposition: Uniform Superposition' (feature dimensionality and the uniform polytopes)",
                zh: "Elhage 等，2022，《叠加的玩具模型》，“叠加的几何：均匀叠加”一节（特征维度与均匀多胞形）",
            },
            ESSAY_INSIDE,
        ],
    },
    StepText {
        slug: "phase-change",
        title_en: "A phase change",
        title_zh: "相变",
        body_en: "Take the smallest case: two features, one dimension. The first feature has \
                  importance 1; the extra one varies across the grid in density (up and down) and \
                  in relative importance (left to right). Each cell trains several models and is \
                  coloured by what most of them did with the extra feature: left it out, gave it \
                  the dimension and dropped the first, or kept both in superposition, pointing in \
                  opposite directions.\n\n\
                  Watch the grid fill in. The regions meet along sharp borders: a small step across \
                  one changes the answer entirely, as a small drop in temperature turns water to \
                  ice. The paper calls this a phase change. The dashed line is an approximate theory \
                  of the border.",
        body_zh: "看最小的情形：两个特征，一个维度。第一个特征的重要性为 1；额外特征的密度（纵轴）\
                  和相对重要性（横轴）在网格中变化。每个格子训练若干模型，按多数模型如何处理额外特征\
                  着色：未学到（把它丢掉），独占维度（把维度给它，丢掉第一个特征），\
                  或叠加（两个特征反向共用这一维）。\n\n\
                  看着网格逐格填上颜色。区域之间的边界很陡：跨过边界一小步，答案就彻底改变，\
                  好比温度稍降，水就结成冰。论文称之为相变。虚线是边界的简单理论，只是近似。",
        try_en: "Wait for the grid to fill, then hover cells on either side of a border.",
        try_zh: "等网格填满，再把鼠标移到边界两侧的格子上查看。",
        goal_en: "Three regions: not learned where the extra feature is dense and unimportant, dedicated where it is dense and important, superposition where it is sparse.",
        goal_zh: "出现三个区域：额外特征稠密且不重要时未学到，稠密且重要时独占维度，稀疏时叠加。",
        cites: &[Cite {
            en: "Elhage et al. 2022, 'Toy Models of Superposition', 'Superposition as a Phase Change' (the n = 2, m = 1 phase diagram)",
            zh: "Elhage 等，2022，《叠加的玩具模型》，“叠加作为相变”（Superposition as a Phase Change）一节（n = 2、m = 1 的相图）",
        }],
    },
    StepText {
        slug: "computation",
        title_en: "Computing in superposition",
        title_zh: "在叠加中计算",
        body_en: "Storing features is one thing; can a network compute with them while they share \
                  neurons? Here a model must output |x| for each of many sparse inputs between −1 \
                  and 1. Its hidden neurons have a ReLU, and there are too few of them to give \
                  every feature its own pair (one for positive x, one for negative x). The bars \
                  show which features each neuron serves.\n\n\
                  Compare the densest and the sparsest model. Dense, most neurons serve one feature \
                  and the rest are dropped. Sparse, many neurons serve \
                  several features, yet more features get their |x| computed. This is the essay's \
                  point: the small network does not just store the simulated bigger one, it runs \
                  it.",
        body_zh: "存储特征是一回事；特征共用神经元时，网络还能用它们计算吗？这里的模型要对许多取值在 \
                  −1 到 1 之间的稀疏输入分别输出 |x|。它的隐藏神经元带 ReLU，数量却不够让每个特征\
                  独占一对（一个管正值，一个管负值）。条形显示每个神经元服务哪些特征。\n\n\
                  比较最稠密和最稀疏的模型。稠密时，多数神经元只服务一个特征，其余特征被丢弃；\
                  稀疏时，许多神经元同时服务多个特征，算出 |x| 的特征反而更多。这正是原文的论点：\
                  小网络不只是存着那个模拟出来的大网络，还能让它运行起来。",
        try_en: "Select the densest model, then the sparsest, and compare the stacked bars of each neuron.",
        try_zh: "先选最稠密的模型，再选最稀疏的，比较每个神经元的权重堆叠条形。",
        goal_en: "In the sparsest model many neurons carry weight from two or more features: they are polysemantic.",
        goal_zh: "最稀疏的模型中，许多神经元承载两个以上特征的权重：它们是多义的。",
        cites: &[
            Cite {
                en: "Elhage et al. 2022, 'Toy Models of Superposition', 'Computation in Superposition' (the absolute-value model)",
                zh: "Elhage 等，2022，《叠加的玩具模型》，“叠加中的计算”（Computation in Superposition）一节（绝对值模型）",
            },
            ESSAY_INSIDE,
        ],
    },
    StepText {
        slug: "decoding",
        title_en: "Decoding the simulated network",
        title_zh: "解码模拟出来的网络",
        body_en: "If a small network simulates a bigger one, can we read the bigger one back? A \
                  sparse autoencoder tries. It rewrites each hidden activation of a toy model as a \
                  sum of a few directions taken from a learned dictionary, which has many more \
                  entries than the layer has dimensions. The entries that light up are its guesses \
                  at the features.\n\n\
                  Here the true features are known: the toy model's own directions, drawn as thick \
                  light arrows. The dictionary's directions are thin arrows, coloured by the true \
                  feature they match. Press play and watch them swing into place. MMCS scores the \
                  match: each true feature's best cosine with any learned direction, averaged; 1 is \
                  perfect.",
        body_zh: "如果小网络在模拟一个大网络，我们能把大网络读回来吗？稀疏自编码器\
                  （原文作“稀疏自动编码器”）就是做这件事的。它把玩具模型的每个隐藏层激活改写成少数几个\
                  方向之和，这些方向取自一本学出来的字典，字典的条目远多于隐藏层的维数。\
                  亮起的条目，即字典特征，就是它对真实特征的猜测。\n\n\
                  这里真实特征是已知的：玩具模型自己的方向，画成粗的浅色箭头。字典特征的方向是细箭头，\
                  按所匹配的真实特征着色。点击运行，看它们转到位。MMCS 衡量匹配程度：\
                  每个真实特征与任一学到方向的最大余弦相似度，取平均，1 为完美。",
        try_en: "Press play and watch the thin arrows; if one stays grey at the end, try a new seed.",
        try_zh: "点击运行，观察细箭头；如果结束时仍有灰色箭头，换个随机种子再试。",
        goal_en: "MMCS climbs above 0.9: every thick arrow has a thin arrow lying on it.",
        goal_zh: "MMCS 升到 0.9 以上：每个粗箭头上都叠着一个细箭头。",
        cites: &[
            Cite {
                en: "Sharkey, Braun and Millidge 2022, 'Taking features out of superposition with sparse autoencoders' (interim report: recovery of known features, MMCS)",
                zh: "Sharkey、Braun、Millidge，2022，《Taking features out of superposition with sparse autoencoders》（阶段报告：找回已知特征，MMCS）",
            },
            Cite {
                en: "Bricken et al. 2023, 'Towards Monosemanticity', 'Problem Setup' (the sparse autoencoder)",
                zh: "Bricken 等，2023，《走向单义性》（Towards Monosemanticity），“问题设定”（Problem Setup）一节（稀疏自编码器）",
            },
            ESSAY_INSIDE,
        ],
    },
    StepText {
        slug: "real-model",
        title_en: "A real language model",
        title_zh: "一个真正的语言模型",
        body_en: "Now real data. Our language model is as small as the paper's: one transformer \
                  layer whose MLP has 512 neurons, trained here on openly licensed English text \
                  (speeches, Shakespeare, the King James Bible and more). On those 512 neurons we \
                  trained a sparse autoencoder with {dict_size} features.\n\n\
                  Is the dictionary any good? It explains {ev} % of the variance of the \
                  activations, with about {l0} features active per token. Swap the real neurons \
                  for its reconstruction and the model recovers {loss_recovered} % of the loss it \
                  would suffer with the MLP switched off. The density histogram shows how often \
                  each feature fires: {dead} never fire (dead) and {ultralow} fire on fewer than \
                  one token in 100,000.",
        body_zh: "现在换成真实数据。我们的语言模型和论文里的一样小：一层注意力加一个有 512 个神经元的\
                  前馈层，在本项目中用开放许可的英文文本（演讲、莎士比亚、钦定版圣经等）训练。\
                  我们在这 512 个神经元上训练了一个有 {dict_size} 个字典特征的稀疏自编码器。\n\n\
                  这个字典好不好？它解释了激活 {ev}% 的方差（解释方差），每个词元平均约有 {l0} 个\
                  字典特征激活。用它的重建替换真实神经元再算损失：关掉整个前馈层会让损失上升，\
                  重建找回了其中的 {loss_recovered}%。密度直方图显示每个字典特征激活得有多频繁：\
                  {dead} 个从不激活（死特征），{ultralow} 个的密度低于十万分之一（超低密度特征）。",
        try_en: "Read the dictionary's numbers, then hover the bars of the density histogram.",
        try_zh: "先看字典的各项数字，再把鼠标移到密度直方图的条形上。",
        goal_en: "The dictionary explains most of the variance and recovers most of the loss, with about {l0} active features per token.",
        goal_zh: "字典解释了大部分方差、找回了大部分损失，每个词元约有 {l0} 个字典特征激活。",
        cites: &[
            Cite {
                en: "Bricken et al. 2023, 'Towards Monosemanticity', 'Problem Setup' (a one-layer transformer with 512 MLP neurons) and the appendix on training sparse autoencoders (feature density histograms, reconstructed-transformer loss)",
                zh: "Bricken 等，2023，《走向单义性》，“问题设定”一节（单层 Transformer，MLP 有 512 个神经元），及附录中训练稀疏自编码器的部分（特征密度直方图、重建后的损失）",
            },
            ESSAY_GOD,
        ],
    },
    StepText {
        slug: "god-feature",
        title_en: "A feature for God",
        title_zh: "“上帝”特征",
        body_en: "Open feature {god_feature}. Its top activations sit almost all on the token \
                  {god_token}, so naming it is easy. Its logit effects show what it does for the \
                  model: when it fires, next tokens such as {god_promoted} become more likely. The \
                  essay's example, feature 2663 of the paper's model, behaves the same way and \
                  favours 'bless', 'forbid', 'damn' and '-zilla'.\n\n\
                  Now look at what the feature is made of. Its direction is spread over many of \
                  the 512 neurons: the largest share, neuron {god_neuron}'s, is only \
                  {god_top_share} % of the weight. Open that neuron's page and compare. Is it \
                  anywhere near as easy to name?",
        body_zh: "打开字典特征 {god_feature}。它的最强激活样例几乎都落在词元 {god_token} 上，\
                  所以很容易命名。它的 logit 效应说明它为模型做什么：它一激活，下一个词元是 \
                  {god_promoted} 等的可能性就上升。原文的例子是论文模型里的 2663 号特征，表现相同，\
                  推高的是“祝福”“禁止”“诅咒”和哥斯拉英文名的后半截。\n\n\
                  再看这个特征由什么组成。它的方向分散在 512 个神经元中的许多个上：\
                  份额最大的神经元 {god_neuron} 也只占 {god_top_share}%。打开那个神经元的页面比较一下：\
                  它也这么容易命名吗？",
        try_en: "Read the top activations and the logit table, then follow the link to neuron {god_neuron}.",
        try_zh: "读最强激活样例和 logit 表，再点开神经元 {god_neuron} 的链接。",
        goal_en: "The feature's top token is {god_token}, and no single neuron carries most of its weight.",
        goal_zh: "该特征的最强激活词元是 {god_token}，且没有哪个神经元承担它的大部分权重。",
        cites: &[
            Cite {
                en: "Bricken et al. 2023, 'Towards Monosemanticity', feature browser of run A/1, feature 2663 and neuron 407",
                zh: "Bricken 等，2023，《走向单义性》，A/1 运行的特征浏览器，特征 2663 与神经元 407",
            },
            ESSAY_GOD,
        ],
    },
    StepText {
        slug: "splitting",
        title_en: "Features split as the dictionary grows",
        title_zh: "字典变大，特征分裂",
        body_en: "Feature 2663 also favoured '-zilla': a small dictionary cannot spare \
                  separate features for the deity and the monster. Give it more room and features \
                  split. The paper followed a feature for 'the' in mathematical text: a single one \
                  at 512 features became several at 16,384, for machine learning, complex \
                  analysis, topology and algebra.\n\n\
                  This tree follows our God family across the shipped dictionary sizes. Each node \
                  is a feature; an edge joins it to a similar feature in the next larger \
                  dictionary, labelled with their similarity. Our texts contain no monster films, \
                  so expect no Godzilla branch: read the children's top activations to see what \
                  they tell apart.",
        body_zh: "原文的“上帝”特征（2663 号）也推高哥斯拉的后半截：小字典腾不出两个特征，分别留给神和怪兽。\
                  给字典更多空间，特征就会分裂。论文追踪过数学文本里定冠词的特征：字典有 512 个特征时\
                  只有一个，到 16,384 个时分成了好几个，分别对应机器学习、复分析、拓扑和代数。\n\n\
                  这棵树追踪我们的“上帝”特征家族在各个内置字典大小之间的变化。每个节点是一个字典特征；\
                  每条边把它连到下一个更大字典中相似的特征，边上标着相似度。我们的语料里没有怪兽电影，\
                  所以不会有哥斯拉分支；读一读子特征的最强激活样例，看它们区分了什么。",
        try_en: "Start at the root of the tree and walk down, opening each child's top activations.",
        try_zh: "从树根出发往下走，逐个打开子特征的最强激活样例。",
        goal_en: "The God feature of a smaller dictionary has at least two children in a larger one.",
        goal_zh: "较小字典中的“上帝”特征在较大字典中至少有两个子特征。",
        cites: &[
            Cite {
                en: "Bricken et al. 2023, 'Towards Monosemanticity', 'Phenomenology: Feature Splitting'",
                zh: "Bricken 等，2023，《走向单义性》，“现象：特征分裂”（Phenomenology: Feature Splitting）一节",
            },
            ESSAY_GOD,
        ],
    },
    StepText {
        slug: "neurons-vs-features",
        title_en: "Neurons against features",
        title_zh: "神经元与特征的对比",
        body_en: "One tidy feature could be luck. The paper's authors scored many features and \
                  neurons, by hand and with a language model as judge, and the features came out \
                  far easier to interpret: much closer to monosemantic. Many of the clearest were \
                  about the form of text rather than its topic: capital letters, or a non-Latin \
                  alphabet.\n\n\
                  A language-model judge will not fit in a web page, so we score every neuron and \
                  every feature with the same automatic measure: how well a list of at most ten \
                  tokens predicts where the unit fires strongly. Random directions, scored the \
                  same way, are the control. Medians on this text: features {interp_features}, \
                  neurons {interp_neurons}, random directions {interp_random}.",
        body_zh: "一个整洁的特征可能只是运气。论文作者对大量特征和神经元打分，既有人工评分，\
                  也让语言模型当评委，结果特征远比神经元好懂，更接近单义（原文作“单义性”）。\
                  其中最清楚的不少关乎文本的形式而非话题：字母大小写、非拉丁字母的文字等。\n\n\
                  网页里放不下一个当评委的语言模型，所以我们用同一个自动指标给每个神经元和每个字典特征\
                  打分：一份至多十个词元的清单，能多准确地预测该单元在哪里强烈激活。对照组是随机方向，\
                  用同样方法打分。在这段文本上的中位数：字典特征 {interp_features}，\
                  神经元 {interp_neurons}，随机方向 {interp_random}。",
        try_en: "Compare the three histograms, then open the dictionary overview: the same measure over every evaluation token.",
        try_zh: "比较三个直方图，再打开字典概览，看同一指标在全部评估词元上的结果。",
        goal_en: "The features' scores sit clearly above both the neurons' and the random directions'.",
        goal_zh: "字典特征的得分明显高于神经元和随机方向。",
        cites: &[
            Cite {
                en: "Bricken et al. 2023, 'Towards Monosemanticity', 'Global Analysis: How Interpretable is the Typical Feature?'",
                zh: "Bricken 等，2023，《走向单义性》，“全局分析：典型特征的可解释性如何？”（Global Analysis: How Interpretable is the Typical Feature?）一节",
            },
            ESSAY_GOD,
        ],
    },
    StepText {
        slug: "universality",
        title_en: "The same features in another model",
        title_zh: "另一个模型里的同样特征",
        body_en: "Would a second model, trained the same way from a different random start, learn \
                  the same features? Our model B differs from model A only in its seed, and has \
                  its own dictionary. For each feature of A, the page finds the feature of B whose \
                  activations on the same text correlate best with it; the God feature's partner \
                  is shown beside it.\n\n\
                  The histograms collect these best correlations for all features, and the same \
                  measure for neurons. The paper reports medians of 0.72 for features and 0.46 \
                  for neurons; ours are {univ_features} and {univ_neurons}. Features recur across \
                  models far more than neurons do, a sign that they are not accidents of one \
                  training run.",
        body_zh: "用同样方法、从另一个随机起点训练第二个模型，它会学到同样的特征吗？我们的模型 B \
                  与模型 A 只差随机种子，也有自己的字典。对 A 的每个字典特征，页面在 B 中找出在同一段\
                  文本上激活相关性最高的字典特征；“上帝”特征的对应者就显示在旁边。\n\n\
                  直方图汇总了所有字典特征的最佳相关性，神经元也用同一方法计算。论文报告的中位数是\
                  特征 0.72、神经元 0.46；我们的是 {univ_features} 和 {univ_neurons}。\
                  特征在不同模型间的重现远多于神经元，说明它们不是某一次训练的偶然产物。\
                  这就是普适性。",
        try_en: "Compare the two histograms, then read the God feature's match in model B.",
        try_zh: "比较两个直方图，再看“上帝”特征在模型 B 中的匹配。",
        goal_en: "The features' median best correlation is clearly higher than the neurons'.",
        goal_zh: "字典特征最佳相关性的中位数明显高于神经元。",
        cites: &[
            Cite {
                en: "Bricken et al. 2023, 'Towards Monosemanticity', 'Phenomenology: Universality' (median best correlation 0.72 for features, 0.46 for neurons)",
                zh: "Bricken 等，2023，《走向单义性》，“现象：普适性”（Phenomenology: Universality）一节（最佳相关性中位数：特征 0.72，神经元 0.46）",
            },
            ESSAY_GOD,
        ],
    },
    StepText {
        slug: "scaling",
        title_en: "Scaling up, and what remains open",
        title_zh: "规模化，以及尚未解决的问题",
        body_en: "Our dictionary reads only 512 neurons; frontier models are far wider. The \
                  calculator counts an autoencoder's parameters, an encoder and a decoder of width \
                  × features each, and the arithmetic to train it. The paper's own \
                  example, quoted in the essay: a 10,000-wide MLP layer with a 100× expansion has \
                  1,000,000 features and about 20 billion parameters, and might cost more to train \
                  than the model it studies.\n\n\
                  Size is not the only open problem. Millions of features must still be read, \
                  which itself needs automation, and a feature list cannot yet tell whether a model \
                  hides its plans. The essay even asks whether brains use superposition. \
                  Below, every page opens with this tour's settings: explore on your own.",
        body_zh: "我们的字典只读 512 个神经元，前沿模型则是另一回事。计算器按“宽度 × 特征数”分别计算\
                  编码器和解码器的参数，并估算训练所需的运算量。论文自己的例子（原文也引用了）：\
                  宽度 10,000 的前馈层扩展 100 倍，得到 100 万个特征、约 200 亿个参数，\
                  训练成本可能超过被研究的模型本身。中文译文写作“约 20 亿”，是误译：\
                  编码器和解码器各有 100 亿个参数。\n\n\
                  规模不是唯一的难题。数以百万计的特征还得有人去读，这本身就需要自动化；\
                  一份特征清单也还回答不了模型是否在隐藏计划。原文甚至追问大脑是否也在使用叠加。\
                  下方的链接会带着本导览的设置打开各个页面：自己去探索吧。",
        try_en: "Enter the essay's example (width 10,000, expansion 100), then our model's width, 512.",
        try_zh: "输入原文的例子（宽度 10,000，扩展 100 倍），再输入我们模型的宽度 512。",
        goal_en: "For width 10,000 and expansion 100 the calculator shows about 2 × 10¹⁰ (20 billion) parameters.",
        goal_zh: "宽度 10,000、扩展 100 倍时，计算器显示约 2 × 10¹⁰（200 亿）个参数。",
        cites: &[
            Cite {
                en: "Bricken et al. 2023, 'Towards Monosemanticity', 'Future Work: Scaling Sparse Autoencoders' and 'Scalability of Analysis'",
                zh: "Bricken 等，2023，《走向单义性》，“未来工作：扩展稀疏自编码器”（Future Work: Scaling Sparse Autoencoders）与“分析的可扩展性”（Scalability of Analysis）",
            },
            ESSAY_SOUL,
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn is_cjk(c: char) -> bool {
        matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}')
    }

    fn cjk_count(text: &str) -> usize {
        text.chars().filter(|c| is_cjk(*c)).count()
    }

    fn word_count(text: &str) -> usize {
        text.split_whitespace().count()
    }

    /// The names between braces, in order.
    fn placeholders(text: &str) -> Vec<&str> {
        let mut names = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .unwrap_or_else(|| panic!("unclosed brace in {text:?}"));
            names.push(&after[..close]);
            rest = &after[close + 1..];
        }
        names
    }

    fn all_texts(step: &StepText) -> [(&'static str, &'static str); 8] {
        [
            ("title_en", step.title_en),
            ("title_zh", step.title_zh),
            ("body_en", step.body_en),
            ("body_zh", step.body_zh),
            ("try_en", step.try_en),
            ("try_zh", step.try_zh),
            ("goal_en", step.goal_en),
            ("goal_zh", step.goal_zh),
        ]
    }

    #[test]
    fn the_tour_has_about_fifteen_steps() {
        assert!((12..=18).contains(&STEPS.len()), "{} steps", STEPS.len());
    }

    #[test]
    fn every_step_has_both_languages() {
        for step in STEPS {
            for (field, text) in all_texts(step) {
                assert!(!text.trim().is_empty(), "{}: {field} is empty", step.slug);
                let cjk = cjk_count(text);
                if field.ends_with("_zh") {
                    assert!(cjk > 0, "{}: {field} has no Chinese", step.slug);
                } else {
                    assert_eq!(cjk, 0, "{}: {field} contains Chinese", step.slug);
                }
            }
            assert!(!step.cites.is_empty(), "{} cites nothing", step.slug);
            for cite in step.cites {
                assert!(
                    !cite.en.is_empty() && cjk_count(cite.en) == 0,
                    "{}: {}",
                    step.slug,
                    cite.en
                );
                assert!(cjk_count(cite.zh) > 0, "{}: {}", step.slug, cite.zh);
            }
        }
    }

    #[test]
    fn english_bodies_are_at_most_130_words() {
        for step in STEPS {
            let words = word_count(step.body_en);
            assert!(words <= 130, "{}: {words} words", step.slug);
        }
    }

    #[test]
    fn chinese_bodies_are_at_most_260_cjk_characters() {
        for step in STEPS {
            let chars = cjk_count(step.body_zh);
            assert!(chars <= 260, "{}: {chars} CJK characters", step.slug);
        }
    }

    #[test]
    fn bodies_have_one_to_three_paragraphs_of_plain_text() {
        for step in STEPS {
            for (field, text) in all_texts(step) {
                assert!(
                    !text.contains('<') && !text.contains('>'),
                    "{}: {field} looks like HTML",
                    step.slug
                );
                assert!(
                    !text.contains("\n\n\n"),
                    "{}: {field} has an empty paragraph",
                    step.slug
                );
                if field.starts_with("body") {
                    let paragraphs = text.split("\n\n").count();
                    assert!(
                        (1..=3).contains(&paragraphs),
                        "{}: {field} has {paragraphs} paragraphs",
                        step.slug
                    );
                    for paragraph in text.split("\n\n") {
                        assert!(
                            !paragraph.contains('\n'),
                            "{}: {field} has a single line break",
                            step.slug
                        );
                        assert_eq!(
                            paragraph,
                            paragraph.trim(),
                            "{}: {field} has stray spaces",
                            step.slug
                        );
                    }
                } else {
                    assert!(
                        !text.contains('\n'),
                        "{}: {field} is not one line",
                        step.slug
                    );
                }
            }
        }
    }

    #[test]
    fn slugs_are_unique_short_lowercase_and_hyphenated() {
        let mut seen = BTreeSet::new();
        for step in STEPS {
            let slug = step.slug;
            assert!(seen.insert(slug), "{slug} appears twice");
            assert!(!slug.is_empty() && slug.len() <= 24, "{slug} is too long");
            assert!(
                slug.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{slug} is not lowercase-hyphenated"
            );
            assert!(
                !slug.starts_with('-') && !slug.ends_with('-') && !slug.contains("--"),
                "{slug}"
            );
        }
    }

    #[test]
    fn every_placeholder_is_listed_and_every_listed_one_is_used() {
        let listed: BTreeSet<&str> = PLACEHOLDERS.iter().map(|p| p.name).collect();
        assert_eq!(
            listed.len(),
            PLACEHOLDERS.len(),
            "a placeholder is listed twice"
        );
        let mut used = BTreeSet::new();
        for step in STEPS {
            for (field, text) in all_texts(step) {
                for name in placeholders(text) {
                    assert!(
                        listed.contains(name),
                        "{}: {field} uses {{{name}}}, which PLACEHOLDERS lacks",
                        step.slug
                    );
                    used.insert(name);
                }
            }
        }
        let unused: Vec<_> = listed.difference(&used).collect();
        assert!(unused.is_empty(), "listed but unused: {unused:?}");
        for placeholder in PLACEHOLDERS {
            assert!(
                !placeholder.meaning.is_empty(),
                "{} has no meaning",
                placeholder.name
            );
        }
    }

    #[test]
    fn both_languages_of_a_text_use_the_same_placeholders() {
        for step in STEPS {
            let pairs = [
                ("body", step.body_en, step.body_zh),
                ("try", step.try_en, step.try_zh),
                ("goal", step.goal_en, step.goal_zh),
            ];
            for (field, en, zh) in pairs {
                let en: BTreeSet<_> = placeholders(en).into_iter().collect();
                let zh: BTreeSet<_> = placeholders(zh).into_iter().collect();
                assert_eq!(en, zh, "{}: {field} differs between languages", step.slug);
            }
        }
    }

    #[test]
    fn chinese_texts_use_the_glossary_terms_not_the_essays() {
        // The essay's words may appear only as the essay's, right after 原文作.
        let essay_only = [
            "叠加态",
            "双边形",
            "反棱柱方形",
            "稀疏自动编码器",
            "多义性",
            "单义性",
            "多面体",
            "混淆",
        ];
        for step in STEPS {
            for (field, text) in all_texts(step) {
                for word in essay_only {
                    for (at, _) in text.match_indices(word) {
                        let before = &text[..at];
                        assert!(
                            before.ends_with("原文作“"),
                            "{}: {field} uses {word} as our own term",
                            step.slug
                        );
                    }
                }
            }
        }
    }
}

//! Static word lists and text templates for the synthetic-data generator.
//!
//! Everything in this module is invented for a fictional demo area: the city of 青溪市 and its
//! county 和安县. The names of people, companies, roads, townships and villages are plausible but do
//! not refer to any real person or organisation. The generator combines these lists with a seeded
//! random source to produce residents, organisations, addresses and case descriptions that read like
//! the ones a real county mediation centre would register.
//!
//! The module holds data only. It performs no IO and has no dependencies, so it can be included in any
//! crate that needs demo data.
//!
//! Description templates contain placeholders in braces that the generator substitutes:
//!
//! | placeholder | meaning |
//! |---|---|
//! | `{a}` | the first party's name |
//! | `{b}` | the second party's name |
//! | `{village}` | the name of a village or community, such as 下坞村 or 东门社区 |
//! | `{amount}` | an amount of money with its unit, such as 3.5万元 or 8000元 |
//! | `{company}` | a company or organisation name from [`COMPANY_NAMES`] |
//! | `{n}` | a head count (a number of people or households) |
//! | `{months}` | a number of months |
//!
//! Not every template uses every placeholder. Templates mix three voices that appear in real
//! registers: a resident's own spoken words, a grid worker's field note, and the phrasing of a formal
//! letter, referral or case summary.

/// Common Chinese surnames, weighted by frequency.
///
/// The most common surnames appear several times so that picking uniformly from this slice gives a
/// realistic distribution: roughly one resident in five is surnamed 王, 李, 张, 刘 or 陈. The slice
/// is ordered by frequency: the five most common surnames appear four times each, the next five
/// three times, the next ten twice, and the rest once.
pub const SURNAMES: &[&str] = &[
    "王", "王", "王", "王", "李", "李", "李", "李", "张", "张", "张", "张", "刘", "刘", "刘", "刘",
    "陈", "陈", "陈", "陈", "杨", "杨", "杨", "黄", "黄", "黄", "赵", "赵", "赵", "吴", "吴", "吴",
    "周", "周", "周", "徐", "徐", "孙", "孙", "马", "马", "朱", "朱", "胡", "胡", "郭", "郭", "何",
    "何", "林", "林", "高", "高", "罗", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓",
    "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏",
    "吕", "丁", "任", "沈", "姚", "卢", "钟", "汪", "范", "金", "石", "廖", "夏", "方", "邹", "熊",
    "邱", "江", "雷", "陶", "毛", "龚", "严",
];

/// Single characters commonly used in given names.
///
/// The list covers names of both genders and several generations, from 建国 and 秀英 to 子涵 and 梓萱.
/// A given name is formed from one or two characters drawn from this slice.
pub const GIVEN_NAME_CHARS: &[&str] = &[
    // Characters more often found in men's names.
    "伟", "强", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞", "鑫",
    "波", "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "龙", "林", "阳", "磊", "峰", "建", "国",
    "志", "文", "海", "东", "兵", "成", "亮", "新", "德", "福", "生", "荣", "昌", "永", "庆", "金",
    "水", "根", "发", "贵", "财", "义", "忠", "良", "山", "泉", "松", "柏", "川", "江", "洪", "彬",
    "博", "宏", "毅", "睿", "哲", "轩", "泽", "皓", "航", "铭", "翔", "梓", "锦", "顺",
    // Characters more often found in women's names.
    "芳", "娟", "敏", "静", "丽", "艳", "秀", "英", "霞", "玲", "燕", "红", "梅", "兰", "萍", "琴",
    "云", "莉", "婷", "雪", "慧", "颖", "倩", "洁", "琳", "璐", "欣", "怡", "佳", "悦", "妍", "雯",
    "菲", "蕾", "薇", "月", "桂", "凤", "珍", "翠", "娥", "美", "彩", "丹", "晶", "蓉", "露", "瑶",
    "诗", "涵", "萱", "婉", "淑", "惠", "素", "琪",
    // Characters used in names of either gender.
    "小", "晓", "子", "一", "心", "安", "嘉", "家", "立", "天", "长", "玉", "君", "宝", "乐", "和",
    "祥", "瑞", "春", "秋", "晨", "思", "雨", "清", "宁", "然",
];

/// Names of small companies and organisations in the demo city and county.
///
/// Names follow the usual registration pattern: place, trade name, line of business, legal form.
pub const COMPANY_NAMES: &[&str] = &[
    "和安县顺达建筑劳务有限公司",
    "青溪市绿源物业服务有限公司",
    "和安县宏盛建材贸易有限公司",
    "青溪市恒通物流有限公司",
    "和安县石门镇兴旺石料加工厂",
    "和安县鑫达机械制造有限公司",
    "青溪市万家福超市有限公司",
    "和安县安居房地产开发有限公司",
    "青溪市金鹏电器销售有限公司",
    "和安县白沙渔业发展有限公司",
    "和安县青山茶业专业合作社",
    "青溪市佳美装饰工程有限公司",
    "和安县永兴混凝土有限公司",
    "青溪市锦华纺织有限公司",
    "和安县康源生猪养殖有限公司",
    "青溪市博学教育培训有限公司",
    "和安县福瑞家具厂",
    "青溪市诚信汽车销售服务有限公司",
    "和安县桃源果蔬专业合作社",
    "青溪市天成鞋业有限公司",
    "和安县正阳电子科技有限公司",
    "青溪市华建市政工程有限公司",
    "和安县利民农资经营部",
    "青溪市悦动健身服务有限公司",
    "和安县凤鸣商贸有限公司",
    "青溪市瑞丰化工有限公司",
    "和安县云岭竹木制品有限公司",
    "青溪市新城物业管理有限公司",
    "和安县长青园林绿化工程有限公司",
    "青溪市速达快递服务有限公司",
    "和安县金桥水产有限公司",
    "青溪市嘉和置业有限公司",
    "和安县昌隆五金制品厂",
    "青溪市康泰保健品有限公司",
    "和安县顺发劳务派遣有限公司",
    "青溪市海纳电子商务有限公司",
    "和安县宏远运输有限公司",
    "青溪市美居家居广场有限公司",
    "和安县溪口水泥制品厂",
    "青溪市乐享餐饮管理有限公司",
    "和安县红星酿造有限公司",
];

/// Street and road names used to build addresses in the county seat and the towns.
pub const ROAD_NAMES: &[&str] = &[
    "人民路",
    "解放路",
    "和安大道",
    "溪滨路",
    "文昌路",
    "建设路",
    "中山路",
    "凤鸣路",
    "石门路",
    "府前街",
    "东门街",
    "环城北路",
    "环城南路",
    "青年路",
    "学府路",
    "工业大道",
    "滨江路",
    "新华街",
    "桥头街",
    "桃源路",
    "白沙路",
    "茶园路",
];

/// One township or street (乡镇、街道) of the demo county, with its villages or communities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TownshipSpec {
    /// The township's or street's name, such as 石门镇 or 城关街道.
    pub name: &'static str,
    /// The names of its villages (村) and communities (社区).
    pub villages: &'static [&'static str],
    /// Its resident population, used for per-10,000 rates.
    pub population: u64,
}

/// The demo county 和安县: two urban streets, three towns and two upland townships.
///
/// 白沙镇 lies on the coast, so fishery and maritime disputes can be placed there; 青山乡 and 云岭乡
/// are forested hill areas. The populations add up to a county of a little over 220,000 residents.
pub const TOWNSHIPS: &[TownshipSpec] = &[
    TownshipSpec {
        name: "城关街道",
        villages: &[
            "东门社区",
            "西街社区",
            "南关社区",
            "北山社区",
            "新华社区",
            "城郊村",
        ],
        population: 58_600,
    },
    TownshipSpec {
        name: "凤鸣街道",
        villages: &["凤鸣社区", "文昌社区", "桥头社区", "学府社区", "马家村"],
        population: 41_200,
    },
    TownshipSpec {
        name: "石门镇",
        villages: &["石门社区", "下坞村", "上坞村", "龙潭村", "溪口村", "岭脚村"],
        population: 36_800,
    },
    TownshipSpec {
        name: "白沙镇",
        villages: &["白沙社区", "渔港村", "沙埕村", "海尾村", "盐田村"],
        population: 29_500,
    },
    TownshipSpec {
        name: "桃源镇",
        villages: &["桃源村", "杏林村", "坪头村", "大坑村", "新屋村"],
        population: 24_300,
    },
    TownshipSpec {
        name: "青山乡",
        villages: &["青山村", "竹坑村", "茶岭村", "高坪村"],
        population: 17_900,
    },
    TownshipSpec {
        name: "云岭乡",
        villages: &["云岭村", "樟树村", "杉木村", "庙前村", "坑口村"],
        population: 15_600,
    },
];

/// Description templates per dispute type, keyed by the type's stable code.
///
/// There is one entry for each of the 18 canonical dispute types, in the order the domain lists them.
/// See the module documentation for the placeholders a template may contain.
pub const DESCRIPTIONS: &[(&str, &[&str])] = &[
    (
        "marriage_family",
        &[
            "{a}来访反映，其与丈夫{b}结婚十余年，近两年{b}长期在外务工很少回家，也不给家里生活费，现{a}提出离婚，双方对孩子抚养权和{amount}存款的分割意见不一。",
            "我和{b}离婚三年了，说好每月给孩子抚养费，可他已经{months}个月一分没给，打电话也不接，孩子马上要交学费，希望调解员帮我讨个说法。",
            "网格员走访发现：{village}的{a}与妻子{b}因家务琐事及男方酗酒问题频繁争吵，昨晚发生肢体冲突，邻居报告后{b}暂住娘家，需及时介入防止矛盾激化。",
            "关于{a}与{b}婚约财产纠纷的情况说明：双方经人介绍订婚，男方{a}家按当地习俗给付彩礼{amount}，后因性格不合解除婚约，{a}要求全额返还彩礼，{b}家只同意退还一半。",
            "{a}与{b}系兄妹关系，父亲去世后留下老宅一处及存款{amount}，{b}认为自己照顾父亲最多应当多分，{a}则主张按法定继承平均分割，双方互不相让。",
            "{a}反映，儿子离婚后儿媳{b}带走孙子，不让{a}探望，已有{months}个月未见到孩子，{a}年纪大了思念孙子，请求调解员出面协调探望时间。",
            "我丈夫{b}在外面借了网贷，现在催收电话打到我单位，一共欠了{amount}，我根本不知情，他还要我一起还，我想问清楚这个钱我要不要承担。",
            "接县妇联转来线索：{village}妇女{a}称长期遭受丈夫{b}的辱骂和殴打，本人有离婚意愿但担心孩子无人照顾，请属地调委会会同派出所、妇联共同跟进。",
            "{a}与{b}的离婚协议约定房屋归女方、男方承担剩余房贷，现{b}已停止还贷{months}个月，银行上门催收，{a}要求{b}按协议履行，否则诉至法院。",
            "{a}再婚后与继子{b}关系紧张，{b}要求{a}搬出其生父留下的房屋，{a}认为自己照顾老伴多年有权继续居住，双方言语冲突不断，亲属调和无果。",
        ],
    ),
    (
        "neighbour",
        &[
            "{a}反映，其与邻居{b}因屋后排水沟堵塞问题多次发生争吵，{b}家的污水流入其院内，要求{b}疏通并赔偿损失。",
            "楼上{b}家每天晚上十一二点还在拖桌椅、孩子跑跳，我家老人有心脏病睡不着觉，上去敲门沟通过好几次都没用，反倒被骂了一顿。",
            "网格员巡查发现：{village}{a}与邻居{b}因{b}在两家之间的通道上堆放柴火、杂物影响通行，双方在路口争吵，围观群众较多，已现场劝离，需村调委会跟进。",
            "{a}称邻居{b}家新装的空调外机正对其卧室窗户，夏天热风直吹、噪音很大，要求移机，{b}认为空调装在自家墙上，拒绝移动。",
            "{a}与{b}两家相邻，{b}家种植的竹子根系蔓延至{a}家菜地，{a}砍掉了越界的竹子，{b}认为其毁坏财物要求赔偿{amount}，双方积怨已久。",
            "{a}反映，{b}家饲养的大型犬未拴绳，在村道上将其七岁孙子咬伤，已花去疫苗及治疗费{amount}，{b}只愿意承担一半，{a}要求全额赔偿并拴养。",
            "{a}、{b}两户共用一段楼道，{b}长期在楼道内堆放纸箱、给电动车充电，{a}担心消防安全多次劝说无果，双方在业主群内相互指责，情绪对立。",
            "{a}家翻建新房，{b}认为新房加高后挡住了自家采光，且施工时砖块掉落砸坏其屋顶瓦片，要求停工并赔偿，{a}称已取得建房审批手续。",
            "情况说明：{village}{a}与{b}两家因建坟选址发生纠纷，{b}家拟在{a}家祖坟上方修建新坟，{a}家坚决反对，双方家族各有{n}余人到场，存在冲突风险。",
            "{a}反映，邻居{b}在公共晒谷场上长期停放农用车辆，其他村民无法晾晒稻谷，劝说时{b}出言不逊，希望村委会出面协调。",
        ],
    ),
    (
        "housing_homestead",
        &[
            "{a}与{b}系堂兄弟，两家宅基地相邻，{b}翻建房屋时地基向{a}家一侧越界约半米，{a}多次阻止施工，{b}称该地块是祖父分给自家的，双方各执一词。",
            "我父亲生前说老房子留给我，可大哥{b}拿着旧的土地证说宅基地登记在他名下，现在他要把房子拆了重建，不让我住，我该怎么办？",
            "网格员上报：{village}{a}与{b}因宅基地边界争议多次争执，今日{b}在争议地块砌围墙，{a}带家人阻拦，双方情绪激动，请镇调处中心会同自然资源所现场勘查确界。",
            "{a}多年前以{amount}购买{b}在{village}的农村房屋一栋，当时仅签订手写协议，现{b}以农村房屋不得卖给外村人为由要求收回，{a}不同意，要求补偿装修投入。",
            "{a}租住{b}的房屋，合同约定租期两年，{b}以要卖房为由要求{a}一个月内搬离，{a}认为房东违约，要求退还押金并赔偿搬家损失{amount}。",
            "{a}反映，其购买的{company}开发的商品房交房已满{months}个月，至今未办理不动产权证，房屋还出现墙面开裂、卫生间渗水问题，开发商一再推诿。",
            "{a}与{b}兄弟分家时对老屋归属有口头约定，但未办理变更登记，现老屋所在地块纳入改造范围，{b}要求按登记面积独享补偿款，{a}不服。",
            "{a}家与{b}家之间一条约一米宽的滴水巷归属不清，{b}搭建雨棚占用该巷道，{a}认为侵占了自家的滴水空间，要求拆除，双方争吵多年未解决。",
            "来信摘要：{a}称其位于{village}的房屋被外甥{b}擅自出租给他人，{b}此前受托代管房屋，{months}个月租金共计{amount}未交付{a}，请求调解处理。",
        ],
    ),
    (
        "forest_land",
        &[
            "{a}反映，其承包的山林与{b}家山林以山脊为界，{b}砍伐杉木时越界砍走其十余株杉树，按市价约{amount}，要求赔偿，{b}不承认越界。",
            "{a}将家中五亩承包地流转给{b}种植葡萄，合同约定每年流转费{amount}，{b}已拖欠两年，{a}要求收回土地，{b}称前期投入大，要求补偿大棚设施费用。",
            "网格员走访发现：{village}{a}与{b}因田间灌溉用水发生纠纷，{b}截断水渠将水引入自家田块，下游{a}家稻田缺水，正值插秧季节，双方在田埂上推搡。",
            "我家那块地是二轮延包时分的，{b}说当年是他家让给我家种的，现在要收回去，还把我种的油菜都翻掉了，村干部来看过也没说清楚。",
            "关于{village}山林权属争议的报告：{a}与{b}两户对后山一片毛竹林的权属存在争议，该片林地在林改时登记不清，近期因竹笋采挖收益引发冲突，涉及{n}户。",
            "{a}外嫁多年，户口仍在{village}，此次村集体土地分红{amount}未将其列入分配名单，{a}认为自己仍是集体经济组织成员，应享受同等待遇。",
            "{a}反映，{b}在其承包的茶园边上烧荒时火势失控，烧毁{a}家茶树约三亩，损失约{amount}，{b}家经济困难，只愿意分期赔偿一小部分。",
            "{a}承包村里的荒山种植油茶，承包期三十年，已投入{amount}，村委会换届后新班子认为原承包价格过低，要求重新签订合同或提高承包费。",
            "{a}与{b}两家承包田相邻，{b}在田埂上种了一排果树，树冠遮挡{a}家水稻造成减产，{a}要求{b}移栽果树，{b}坚称田埂属于自家。",
        ],
    ),
    (
        "contract",
        &[
            "{a}去年借给朋友{b}人民币{amount}用于资金周转，约定半年归还，有借条为证，现已逾期{months}个月，{b}以生意亏损为由一再拖延，近期电话也不接。",
            "我给{b}家装修房子，说好包工包料，做完了他说瓷砖没贴平，尾款{amount}扣着不给，我请人来看过，就几块有点小问题，我愿意返工。",
            "{a}与{company}签订门窗定做合同，已支付定金{amount}，约定四十五天内安装，现已超期{months}个月仍未交货，{a}要求解除合同并双倍返还定金。",
            "{a}向{b}购买二手小货车一辆，价款{amount}，交车后发现车辆曾发生严重事故，{b}交易时隐瞒未告知，{a}要求退车退款，{b}称车是按现状出售概不负责。",
            "{a}反映，其为{b}的借款提供了担保，{b}到期未还，出借人现要求{a}承担担保责任，{a}认为担保时{b}隐瞒了真实借款用途，要求{b}先行还款。",
            "{a}与{company}签订为期一年的健身服务合同，预付{amount}，仅使用{months}个月门店即关闭，负责人联系不上，{a}等{n}名会员要求退还剩余费用。",
            "诉前调解案件摘要：原告{a}诉被告{b}民间借贷纠纷，请求偿还借款本金{amount}及利息，被告对本金无异议，但认为约定利率过高，经双方同意委派调解。",
            "{a}承租{b}的店面经营餐饮，合同约定租期五年，{b}在第二年以收回自用为由提前解约，{a}装修投入{amount}，要求赔偿装修损失及停业损失。",
            "{a}委托{b}代购一批建材，已转账{amount}，{b}收款后仅送来部分货物，剩余款项既不退还也不供货，双方对账时各说各的，矛盾逐步升级。",
        ],
    ),
    (
        "business",
        &[
            "{a}与{b}合伙经营一家农家乐，双方各出资{amount}，经营{months}个月后因经营理念不同散伙，对已购置设备、剩余食材及债务的分担存在较大分歧。",
            "{company}反映，下游经销商{b}拖欠货款{amount}，已催讨多次，对方称资金链紧张，双方长期合作，公司希望通过调解分期还款，不愿直接起诉。",
            "我在集贸市场摆摊卖水果，旁边摊位的{b}总把货往我这边摆，还在顾客面前说我的秤不准，影响我做生意，找市场管理员说了好几次都没用。",
            "{a}经营的养猪场与{b}签订生猪收购协议，约定按市场价收购，出栏时猪价下跌，{b}以猪只不达标为由压价，双方对{amount}的价格差额争执不下。",
            "网格员上报：{village}沿街两家快递代收点经营者{a}与{b}因争抢客源发生口角，{b}指责{a}低价揽件，双方在街上相互推搡，影响周边经营秩序。",
            "{a}为{company}供应原材料已有两年，现该公司因经营困难停产，尚欠{a}材料款{amount}，另有{n}家供应商情况类似，大家担心公司转移资产。",
            "{a}承包村集体的石料加工厂，因环保整改停产{months}个月，{a}要求村集体减免承包费，村委会认为停产属于经营风险，不同意减免。",
            "{a}与{b}共同出资购买收割机一台，约定轮流使用、收益分成，今年收割季{b}独自外出作业，收入{amount}拒不分配，{a}要求查账分成。",
            "关于{company}与{b}加盟合同纠纷的情况：{b}加盟该公司的奶茶品牌，缴纳加盟费{amount}，开业后发现所承诺的技术培训、供货支持均未落实，要求退还加盟费。",
        ],
    ),
    (
        "damages",
        &[
            "{a}反映，其在{b}经营的超市购物时，因地面湿滑且无警示标志而摔倒，致右手腕骨折，花去医疗费{amount}，要求超市赔偿医疗费、误工费等损失。",
            "我家孩子和{b}家孩子放学路上打闹，{b}家孩子把我儿子推倒，门牙磕断了两颗，补牙要花{amount}，{b}家说是小孩子玩耍，不肯承担。",
            "{a}雇请{b}修缮屋顶，{b}施工中从梯子上摔下受伤，住院治疗{months}个月，花去医疗费{amount}，{b}要求{a}承担全部费用，{a}认为系{b}自身不慎。",
            "网格员报告：{village}{a}与{b}因琐事争执后相互殴打，{a}头部受伤缝针，{b}手臂擦伤，派出所已作前期处理，双方就医疗费赔偿仍有分歧。",
            "{a}家的鱼塘被{b}施工时排放的泥浆灌入，导致塘内约两千斤鱼死亡，损失约{amount}，{b}承认施工有责任，但认为损失金额被夸大。",
            "{a}在{b}家喝喜酒后醉酒，回家途中摔伤，家属认为同桌劝酒者及{b}未尽到照顾义务，要求{b}及同桌{n}人共同赔偿医疗费{amount}。",
            "{a}反映，{b}家楼顶的太阳能热水器在大风天气中脱落，砸坏了{a}停在楼下的轿车，维修费用{amount}，{b}认为属于自然灾害，不应由其赔偿。",
            "诉前委派调解：原告{a}诉被告{b}健康权纠纷，原告在被告经营的游乐场玩蹦床时受伤，请求赔偿医疗费、护理费、营养费等共计{amount}。",
            "{a}的羊群跑进{b}家的玉米地，啃食玉米约一亩，{b}将其中两只羊扣下，要求{a}赔偿损失{amount}后才肯放羊，双方发生言语冲突。",
        ],
    ),
    (
        "labour",
        &[
            "{a}等{n}名工人反映，在{company}承包的工地上务工，被拖欠工资{months}个月共计{amount}，临近春节急需回家，包工头{b}电话关机，工人情绪激动。",
            "我在{company}上班两年多，老板突然说厂子不行了让我们回家，没签劳动合同也没交社保，最后{months}个月的工资还没结，想要个说法。",
            "劳动争议调解申请：申请人{a}在车间操作机器时右手受伤，已认定工伤，与{company}就一次性伤残补助金、伤残就业补助金等共计{amount}协商未果。",
            "网格员紧急上报：{village}在建安置房项目有{n}名农民工聚集在项目部门口讨薪，称分包方{company}拖欠其春节前工资，现场有人扬言要爬塔吊，请速派人员处置。",
            "{a}在{b}开的饭店做厨师，因与老板{b}发生口角被当场辞退，{b}以其未干满一个月为由扣发当月工资，并拒绝退还入职时收取的押金。",
            "{a}反映，其在{company}工作满五年，公司以调岗为名将其从城区调至百公里外的分厂，{a}不同意，公司遂以旷工为由解除劳动合同，{a}要求支付经济补偿{amount}。",
            "{a}等{n}名采茶工为{b}的茶园采茶一个多月，约定按斤计酬，采茶季结束后{b}称茶叶卖不上价，只支付了一半工钱，尚欠{amount}。",
            "{a}通过中介到{company}务工，入职时被收取服装费、押金共计{amount}，工作不到{months}个月因身体原因离职，公司拒绝退还押金，还扣发最后一个月工资。",
            "春节前欠薪隐患排查：{company}承建的厂房项目因建设方资金未到位，拖欠{n}名工人工资约{amount}，已连续{months}个月未发放，需人社、住建部门提前介入。",
            "{a}是{company}的快递派送员，在送件途中摔伤，公司称双方是承揽关系而非劳动关系，拒绝承担医疗费，{a}要求确认劳动关系并申请工伤认定。",
        ],
    ),
    (
        "land_requisition",
        &[
            "{a}反映，其在{village}的房屋被列入城南片区改造征收范围，评估单价明显低于周边商品房价格，对评估结果不服，拒绝签订补偿协议。",
            "我家那两间附属用房是九十年代就盖的，这次拆迁说是违章建筑不给补偿，可村里别人家一样的房子都补了，为什么我家就不算？",
            "网格员报告：{village}因高速公路建设需征收集体土地一百余亩，部分村民对青苗补偿标准有意见，{n}余名村民到村委会集中反映，要求公开补偿明细。",
            "{a}与{b}系兄弟，父母留下的老宅被征收，补偿款共计{amount}，{b}一直在老宅居住并落户，主张多分补偿款，{a}要求平分，双方矛盾激化。",
            "关于{village}征地补偿款分配纠纷的情况报告：村集体获得征地补偿款{amount}，分配方案中出嫁女、新生儿、在读大学生是否参与分配存在较大争议，涉及{n}户。",
            "{a}承包的鱼塘被征用修建工业园区道路，征收方只补偿了土地部分，对{a}投入的鱼苗、增氧设备及塘堤修建费用未予补偿，{a}要求补偿{amount}。",
            "{a}反映，拆迁安置房本应在{months}个月前交付，至今仍未交房，其一家五口在外租房，过渡费已停发，要求继续支付过渡费并明确交房时间。",
            "{a}称在其尚未签订补偿协议的情况下，{company}受托强行拆除了其家的猪圈和围墙，造成财产损失约{amount}，要求赔偿并追究相关人员责任。",
            "{a}家祖坟位于征收红线内需要迁移，{a}对{amount}的迁坟补偿标准不满，认为不足以支付迁葬费用，且对统一安排的安葬地点有意见。",
        ],
    ),
    (
        "property",
        &[
            "{a}反映，其居住的小区由{company}提供物业服务，近半年来电梯频繁故障，垃圾清运不及时，业主多次投诉无果，{a}因此拒交物业费，物业公司上门催缴。",
            "物业说我家欠了{months}个月物业费，要停我家的水，我不交是有原因的，楼上漏水到我家，物业一直不管，凭什么让我交钱？",
            "{company}申请调解：业主{a}拖欠物业费及公摊水电费共计{amount}，多次催缴未果，物业公司拟提起诉讼，经社区建议先行调解。",
            "网格员上报：{village}某小区业主与物业公司因停车收费标准调整发生矛盾，约{n}名业主聚集在物业办公室门前，要求物业公开收支账目。",
            "{a}称其停在小区地下车库的轿车被上方管道漏水损坏，维修费用{amount}，认为{company}未尽到维护义务，物业认为管道属于共有部分，应动用维修基金。",
            "{a}家楼上住户{b}装修时擅自拆改承重墙，{a}家墙体出现裂缝，向物业反映后物业仅下发整改通知，{b}置之不理，{a}要求物业和{b}共同处理。",
            "关于小区物业交接纠纷的情况：业委会选聘新物业后，原物业{company}拒绝撤场并拒绝移交相关资料，双方对约{amount}公共收益的归属存在争议。",
            "{a}反映，小区一楼住户{b}占用公共绿地私自圈建小花园，其他业主认为侵占公共区域，要求物业责令恢复原状，物业称没有执法权无法处理。",
            "我们这个老小区没有物业，{b}在楼道口私拉电线给电动车充电，大家都担心起火，社区说要搞业主自治，可谁都不愿意牵头。",
        ],
    ),
    (
        "medical",
        &[
            "{a}反映，其父亲在县人民医院做完胆囊切除手术后持续发热、腹痛，再次手术发现胆管损伤，前后花费医疗费{amount}，家属认为医院存在过错，要求赔偿。",
            "我老婆在镇卫生院生孩子，医生说顺产没问题，结果生了一天一夜才转院剖腹产，孩子现在有缺氧的后遗症，医院说他们没有责任，我们接受不了。",
            "{a}在{b}开办的诊所输液后出现过敏性休克，经抢救脱离危险，住院{months}个月花费{amount}，{a}认为诊所未做皮试，要求承担全部费用。",
            "医调委受理通知：患者{a}在县人民医院行膝关节置换术后出现感染，多次手术治疗，家属{b}等{n}人到医院讨要说法，现已引导至医疗纠纷人民调解委员会调解。",
            "{a}称其母亲在县中医院住院期间从病床上摔下致股骨骨折，家属认为护理人员未按规定拉起床栏，要求医院承担后续治疗费用约{amount}。",
            "{a}反映，其在某医疗美容机构做了双眼皮手术，术后双眼明显不对称且留有疤痕，多次修复未果，已花费{amount}，要求退还手术费并赔偿修复费用。",
            "网格员报告：{village}的{a}在村卫生室就诊后病情加重，转院后不治身亡，家属十余人在卫生室门口设灵堂、拉横幅，情绪激烈，需卫健、派出所、司法所联合处置。",
            "{a}反映，其在县人民医院住院{months}个月，出院结算时发现费用清单中有多项未使用的耗材和检查项目，共计{amount}，要求医院核查并退费。",
            "{a}的丈夫按药店店员推荐购买药品服用后出现肝功能损害，{a}认为药店违规销售处方药且未询问病史，要求药店经营者{b}赔偿医疗费{amount}。",
        ],
    ),
    (
        "traffic_accident",
        &[
            "{a}驾驶电动自行车在{village}路口与{b}驾驶的小型轿车发生碰撞，{a}左腿骨折，交警认定{b}负主要责任，双方就医疗费、误工费及护理费赔偿数额协商不成。",
            "我骑摩托车被{b}的货车刮倒，交警说他负全责，保险公司只赔了一部分，剩下{amount}他说没钱，我住院都{months}个月了，还要做二次手术。",
            "交警部门委托调解：{a}驾驶三轮车与{b}驾驶的摩托车在乡道相撞，{b}经抢救无效死亡，双方对死亡赔偿金、丧葬费等共计{amount}的承担比例存在争议。",
            "{a}反映，其停在路边的轿车被{b}倒车时撞坏，{b}承认是自己撞的，但车辆没买商业险，只愿意私下赔{amount}，{a}认为维修费远不止这个数。",
            "{a}系{company}的货车司机，在送货途中与{b}的电动车发生碰撞致{b}受伤，{b}要求{a}和公司共同赔偿，公司认为应由司机个人承担。",
            "网格员上报：{village}村道上一辆拖拉机与骑电动车放学的学生{b}发生刮擦，学生轻微擦伤，拖拉机驾驶人{a}无驾驶证，双方家长在现场争吵，已通知交警。",
            "{a}搭乘{b}驾驶的面包车去县城赶集，途中车辆侧翻，车上{n}人不同程度受伤，{b}称是好意顺路捎带，不应承担赔偿责任，伤者家属要求赔偿。",
            "{a}反映，其父亲在路上被一辆面包车撞伤后肇事车辆逃逸，后经交警侦查查获驾驶人{b}，{b}家属愿意赔偿，但对后续康复费用的数额有异议。",
            "道路交通事故损害赔偿调解申请：申请人{a}与被申请人{b}发生交通事故，经交警部门认定双方负同等责任，现就车辆损失{amount}的分担申请调解。",
        ],
    ),
    (
        "consumer",
        &[
            "{a}反映，其在{company}购买的冰箱使用{months}个月后不制冷，售后维修三次仍未修好，商家只同意再修一次，{a}要求退货。",
            "我在镇上的理发店办了一张{amount}的会员卡，才用了两次店就关门了，老板说店转给别人了，新老板不认卡，这钱该找谁要？",
            "{a}在{b}经营的农资店购买水稻种子，种下后出苗率不足三成，经农技人员鉴定为种子质量问题，{a}要求赔偿种子款及减产损失{amount}。",
            "{a}等{n}名老年人反映，参加{company}组织的免费健康讲座后被推销购买保健品，每人花费数千元不等，服用后没有任何效果，要求退款。",
            "{a}反映，其在{b}经营的餐馆就餐后出现腹泻呕吐，同桌{n}人均有类似症状，就医花费{amount}，要求餐馆赔偿，餐馆认为无法证明是其食物导致。",
            "12345热线转办：市民{a}称在{company}购买的装修套餐中，实际使用的材料品牌与合同约定不符，要求按合同更换并赔偿差价{amount}。",
            "{a}在汽车4S店购买新车，提车后发现车身有喷漆修补痕迹，而销售人员此前承诺为全新车，{a}认为遭受欺诈，要求退一赔三。",
            "{a}为孩子在{company}报名暑期培训班，交费{amount}，开课后发现授课老师并非宣传中的名师，且课时缩水，要求退还剩余课时费用被拒。",
            "{a}反映，其在农贸市场{b}的摊位购买猪肉，回家称重发现少了近三两，返回理论时{b}态度恶劣，{a}要求市场管理方处理并公示。",
        ],
    ),
    (
        "e_commerce",
        &[
            "{a}反映，其在{b}开设的网店购买一件羽绒服，收货后发现含绒量与宣传不符，申请七天无理由退货，商家以吊牌已剪为由拒绝退货。",
            "我看直播带货买了一套护肤品，主播说是专柜正品，用了脸上过敏起红疹，拿去专柜验了说是假的，店铺已经关了，找平台客服也推来推去。",
            "{a}在{b}的直播间下单购买土蜂蜜，共付款{amount}，收到后发现是糖浆勾兑，{b}是本县网红主播，{a}要求退款并公开道歉，{b}称货源来自供货商。",
            "{village}电商户{a}反映，其在网上销售猕猴桃，买家{b}收货后以果子腐烂为由申请仅退款，平台自动同意，{a}认为买家恶意退款，损失{amount}。",
            "{a}通过网购平台预订民宿，因台风取消行程申请退款，民宿店主{b}只同意退一半，{a}认为属于不可抗力，应当全额退款。",
            "{a}反映，其在网上购买二手手机一部，卖家{b}承诺无拆修，收货后发现主板维修过，联系退货时对方已将其拉黑，交易金额{amount}。",
            "{company}在电商平台开设店铺销售本地特产，因运输途中破损率过高与快递公司发生纠纷，{months}个月来累计理赔约{amount}，双方对责任认定各执一词。",
            "{a}等{n}名宝妈反映，参加{b}在微信群组织的社区团购，预付款{amount}后迟迟未发货，团长称供货商跑路，大家要求团长先行退款。",
            "{a}反映，其在直播间抢购的手机被商家以库存不足为由单方面取消订单，但直播间仍在以更高价格销售同款，{a}要求商家按原价履行。",
        ],
    ),
    (
        "pollution",
        &[
            "{a}反映，{village}附近的{company}夜间排放刺鼻废气，周边居民经常闻到异味，家中老人孩子咳嗽不止，多次向厂方反映无果，要求停产整改。",
            "我们村边上那个养猪场，猪粪水直接排到小溪里，下游的水都是黑的，我家的鸭子死了好几只，夏天臭得窗户都不敢开。",
            "网格员巡查发现：{village}河段出现大量死鱼，疑似上游{company}偷排生产废水，下游{n}余户养殖户损失较大，群众情绪激动，已报生态环境部门取样检测。",
            "{a}称楼下新开的烧烤店油烟直排，且营业至凌晨，噪音扰民，与店主{b}多次沟通无效，要求加装油烟净化设备并限制营业时间。",
            "{a}反映，{company}的石料场爆破作业导致其房屋墙体开裂，粉尘覆盖农作物，损失约{amount}，要求企业赔偿并采取降尘措施。",
            "{a}家承包的稻田用上游{company}排出的含重金属污水灌溉后减产严重，连续两年损失共计{amount}，要求企业赔偿，企业称其排放达标。",
            "关于{village}群众反映垃圾中转站异味扰民的情况：中转站距居民区不足五十米，夏季恶臭严重，{n}余户居民联名要求搬迁，需城管、环保部门共同研究。",
            "{a}反映，邻居{b}在自家院内焚烧塑料垃圾，黑烟飘入其家中，{a}患有哮喘，多次劝阻无效，双方因此发生争吵。",
            "{a}所住小区旁边的{company}搅拌站日夜生产，混凝土罐车进出频繁，噪音和扬尘严重，{a}等业主要求企业夜间停工并给予补偿。",
        ],
    ),
    (
        "fishery_maritime",
        &[
            "{a}反映，其渔船在白沙渔港外海域作业时与{b}的渔船发生碰撞，船体受损、渔网被毁，维修费用约{amount}，双方对事故责任各执一词。",
            "我和{b}家的紫菜养殖区是挨着的，他今年往我这边多插了好几排桩，占了我差不多两亩海面，去量他又不认，村里当年划界的图也找不到了。",
            "{a}等{n}名船员反映，随{b}的渔船出海捕捞{months}个月，回港后船老板称鱼价低、亏了本，拖欠船员工资共计{amount}，船员要求按约定结清。",
            "网格员上报：{village}养殖户{a}、{b}因海带养殖筏架界线问题发生争执，{b}强行割断{a}的养殖绳索，双方家属在码头对峙，需镇调委会会同海洋渔业部门处理。",
            "{a}委托{b}代为销售渔获，{b}收取货款后以收购商尚未付款为由迟迟不结算，累计拖欠{amount}，{a}要求{b}按交易记录立即支付。",
            "{a}反映，其在近海的网箱养殖区被{b}的运砂船撞损，网箱内大黄鱼逃逸，损失约{amount}，运砂船方认为网箱设置超出了规定的养殖范围。",
            "{a}雇请{b}为船员，{b}在海上作业时被绞网机绞伤右手，{a}已垫付部分医疗费，{b}要求按工伤标准赔偿{amount}，{a}认为{b}操作不当应自担部分责任。",
            "关于{village}滩涂养殖权属纠纷的情况报告：该村与相邻村对一片约三十亩的蛏子养殖滩涂权属存在争议，涉及养殖户{n}户，近期发生哄抢现象。",
            "{a}与{b}合伙购买渔船一艘，伏季休渔期停航{months}个月，双方对船舶维护费用的分担及{amount}休渔补贴的分配产生分歧。",
        ],
    ),
    (
        "elder_support",
        &[
            "网格员走访发现：{village}老人{a}与其子{b}因赡养费用分担产生矛盾，{a}年过七旬独居，情绪激动。",
            "{a}今年八十二岁，育有三子一女，子女均以各自经济困难为由互相推诿赡养责任，{a}独自居住在老屋，生病住院无人照顾，请求村调委会协调。",
            "我养大了四个孩子，现在老了，老大说房子给了老二就该老二养，老二说他条件最差，每个月就给我几百块，吃药都不够。",
            "{a}反映，其子{b}外出务工后已有{months}个月未支付约定的赡养费，共计{amount}，{a}患慢性病需长期服药，生活困难，要求{b}履行赡养义务。",
            "{a}与儿子{b}签订赡养协议，约定{b}每月支付生活费并承担医疗费用，{a}将房屋过户给{b}，现{b}不履行协议，{a}要求撤销房屋赠与。",
            "{a}的母亲去世后，兄妹{n}人对丧葬费用{amount}的分摊及母亲遗留存款的处理产生纠纷，长兄{b}认为自己出力最多，要求其他人多承担费用。",
            "来访登记：{a}，七十六岁，反映儿媳{b}长期对其冷言冷语，不让其在家中做饭，还将其赶到柴房居住，要求村委会出面主持公道。",
            "{a}反映，父亲入住镇敬老院后，兄弟姐妹对每月费用的分摊意见不一，已拖欠敬老院费用{months}个月，敬老院多次催缴，{a}一人无力承担。",
            "网格员上报：{village}独居老人{a}的儿子{b}常年在外，老人近日在家摔倒两天后才被邻居发现，{b}拒绝回乡照顾，也不愿请护工，需村里协调。",
        ],
    ),
    (
        "other",
        &[
            "{a}反映，{b}在村民微信群中多次发布关于其私生活的不实言论，称其欠债不还、作风不正，造成其名誉受损，要求{b}公开道歉并删除信息。",
            "我孩子在学校上体育课时摔伤了，学校说已经买了保险让我们找保险公司，保险公司说只能报一部分，剩下的{amount}谁来出？",
            "{a}在路边捡到{b}遗失的钱包，内有现金及证件，{a}归还时要求{b}支付酬谢{amount}，{b}认为其要价过高，双方发生争执。",
            "{a}等{n}名村民反映，村委会对村集体厂房出租收入及支出未按规定公开，要求公开近三年村务账目，与村干部{b}发生争吵。",
            "{a}反映，其投保的水稻种植保险在作物受灾后申请理赔，保险公司以受灾程度未达到理赔标准为由拒赔，{a}认为定损不公，要求重新定损。",
            "网格员上报：{village}{a}与{b}两个家族因修订族谱时的排序问题发生争执，双方各有{n}余人参与，在祠堂内发生推搡，需尽快组织双方族老协商。",
            "{a}反映，其孩子在{b}开办的托管班内与其他孩子打闹致眼部受伤，托管班称是孩子之间的意外，拒绝承担责任，{a}要求赔偿医疗费。",
            "{a}与{b}因一头走失的耕牛归属发生争执，双方均称该牛系自家所养，{a}称牛身上有其做的记号，{b}称自己有购牛凭证，请求村调委会协调。",
            "{a}反映，其委托{b}代办驾驶证培训报名，已支付{amount}，{b}收款后迟迟未办理，{a}要求退款，{b}称钱已转交驾校，不愿退还。",
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The 18 canonical dispute-type codes, in the order the domain lists them.
    const CODES: [&str; 18] = [
        "marriage_family",
        "neighbour",
        "housing_homestead",
        "forest_land",
        "contract",
        "business",
        "damages",
        "labour",
        "land_requisition",
        "property",
        "medical",
        "traffic_accident",
        "consumer",
        "e_commerce",
        "pollution",
        "fishery_maritime",
        "elder_support",
        "other",
    ];

    /// The placeholders the generator knows how to substitute.
    const PLACEHOLDERS: [&str; 7] = ["a", "b", "village", "amount", "company", "n", "months"];

    /// Returns the placeholder names in a template, or an error for an unbalanced brace.
    fn placeholders(template: &str) -> Result<Vec<&str>, String> {
        let mut found = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find(['{', '}']) {
            if rest[open..].starts_with('}') {
                return Err(format!(
                    "closing brace without opening brace in {template:?}"
                ));
            }
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| format!("unclosed brace in {template:?}"))?;
            let name = &after[..close];
            if name.contains('{') {
                return Err(format!("nested brace in {template:?}"));
            }
            found.push(name);
            rest = &after[close + 1..];
        }
        Ok(found)
    }

    #[test]
    fn every_code_is_present_exactly_once() {
        let keys: Vec<&str> = DESCRIPTIONS.iter().map(|(code, _)| *code).collect();
        for code in CODES {
            let count = keys.iter().filter(|key| **key == code).count();
            assert_eq!(count, 1, "code {code} appears {count} times");
        }
        for key in &keys {
            assert!(CODES.contains(key), "unknown code {key}");
        }
        assert_eq!(keys.len(), CODES.len());
    }

    #[test]
    fn every_type_has_at_least_eight_templates() {
        for (code, templates) in DESCRIPTIONS {
            assert!(
                templates.len() >= 8,
                "{code} has only {} templates",
                templates.len()
            );
        }
    }

    #[test]
    fn templates_are_not_empty_and_have_a_realistic_length() {
        for (code, templates) in DESCRIPTIONS {
            for template in *templates {
                assert!(!template.trim().is_empty(), "{code} has an empty template");
                let chars = template.chars().count();
                assert!(
                    (40..=160).contains(&chars),
                    "{code} template has {chars} characters: {template}"
                );
            }
        }
    }

    #[test]
    fn templates_use_only_known_placeholders() {
        for (code, templates) in DESCRIPTIONS {
            for template in *templates {
                let names =
                    placeholders(template).unwrap_or_else(|error| panic!("{code}: {error}"));
                for name in names {
                    assert!(
                        PLACEHOLDERS.contains(&name),
                        "{code} template uses unknown placeholder {{{name}}}: {template}"
                    );
                }
            }
        }
    }

    #[test]
    fn templates_within_a_type_are_distinct() {
        for (code, templates) in DESCRIPTIONS {
            let unique: HashSet<&str> = templates.iter().copied().collect();
            assert_eq!(unique.len(), templates.len(), "{code} repeats a template");
        }
    }

    #[test]
    fn placeholder_scanner_accepts_and_rejects_as_expected() {
        let cases: [(&str, Result<Vec<&str>, ()>); 5] = [
            ("{a}与{b}", Ok(vec!["a", "b"])),
            ("没有占位符", Ok(vec![])),
            ("{village}的{a}", Ok(vec!["village", "a"])),
            ("{a与b", Err(())),
            ("a}与{b}", Err(())),
        ];
        for (input, expected) in cases {
            assert_eq!(
                placeholders(input).map_err(|_| ()),
                expected,
                "input {input:?}"
            );
        }
    }

    #[test]
    fn surnames_are_single_characters_weighted_towards_common_ones() {
        assert!(SURNAMES.len() >= 80);
        assert!(SURNAMES.iter().all(|s| s.chars().count() == 1));
        let count = |name: &str| SURNAMES.iter().filter(|s| **s == name).count();
        assert!(count("王") > count("严"));
        let distinct: HashSet<&str> = SURNAMES.iter().copied().collect();
        assert!(
            distinct.len() >= 60,
            "only {} distinct surnames",
            distinct.len()
        );
    }

    #[test]
    fn given_name_characters_are_single_and_distinct() {
        assert!(GIVEN_NAME_CHARS.len() >= 140);
        assert!(GIVEN_NAME_CHARS.iter().all(|c| c.chars().count() == 1));
        let distinct: HashSet<&str> = GIVEN_NAME_CHARS.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            GIVEN_NAME_CHARS.len(),
            "a given-name character repeats"
        );
    }

    #[test]
    fn company_and_road_names_are_distinct_and_local() {
        let companies: HashSet<&str> = COMPANY_NAMES.iter().copied().collect();
        assert_eq!(
            companies.len(),
            COMPANY_NAMES.len(),
            "a company name repeats"
        );
        assert!(COMPANY_NAMES.len() >= 35);
        for name in COMPANY_NAMES {
            assert!(
                name.starts_with("青溪市") || name.starts_with("和安县"),
                "company {name} is not in the demo city or county"
            );
        }
        let roads: HashSet<&str> = ROAD_NAMES.iter().copied().collect();
        assert_eq!(roads.len(), ROAD_NAMES.len(), "a road name repeats");
        assert!(ROAD_NAMES.len() >= 20);
    }

    #[test]
    fn townships_have_a_realistic_shape() {
        assert!((6..=8).contains(&TOWNSHIPS.len()));
        let mut villages = HashSet::new();
        let mut townships = HashSet::new();
        for township in TOWNSHIPS {
            assert!(
                townships.insert(township.name),
                "township {} repeats",
                township.name
            );
            assert!(
                (4..=6).contains(&township.villages.len()),
                "{} has {} villages",
                township.name,
                township.villages.len()
            );
            assert!(
                (15_000..=60_000).contains(&township.population),
                "{} has population {}",
                township.name,
                township.population
            );
            for village in township.villages {
                assert!(
                    village.ends_with('村') || village.ends_with("社区"),
                    "{village} is neither a village nor a community"
                );
                assert!(villages.insert(*village), "village {village} repeats");
            }
        }
    }
}

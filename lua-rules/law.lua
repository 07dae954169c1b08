--[[---------------------------------------------------------------------------
 law.lua
     The law in time (legal-rules 6.3): which sources apply to a case, and
     from when.

 Two kinds of sources, keyed on different dates:
   act    the Criminal Law and the judicial interpretation, by the date of
          the (latest included) act. They change only by amendment, and each
          state of them is a version: LAW.versions, oldest first. Where the
          version at the act and the one at trial differ, the one at the act
          applies unless the one at trial is lighter (CL:12; TEMP-JI rule 3):
          evaluate.lua judges the case under both and keeps the lighter.
   trial  opinions, minutes and sentencing guidelines, by the conviction
          date (the run's date when none is recorded): courts apply them to
          cases tried after they were issued. A test of such a source is not
          evaluated for a case tried before (common.run_tests says so in the
          trace).
 A citation id names its source by the part before ':' (TF2021:9.1 ->
 TF2021). Every citation id the rules use must belong to a source here.

 A version may change the threshold groups of PARAMS (netsec, illegal_use,
 helping), by LAW.amend in a file listed after this one and before the
 offense files: those build their tests once per version. The statutory
 ranges are not versioned here: the program checks every recommendation
 against them (rec_check.c).

 Globals defined: LAW.

 lua-rules/law.lua
-----------------------------------------------------------------------------]]

LAW = {}

-- Sources by id. from: the first date (act or trial, per key) the source
-- applies to; to: the last, nil while in force; offenses: only these
-- offenses (nil: all three); title; name: the title in a citation, when
-- shorter.
LAW.sources = {
    -- LAW: Criminal Law Amendment IX (items 28, 29, 52) created Arts. 286-1,
    -- 287-1 and 287-2 from 2015-11-01; their text has not changed since
    -- (legal-rules 6.3). Acts before are screened out (measures.screen_act).
    CL = { key = "act", from = PARAMS.temporal.am9_effective,
           title = "中华人民共和国刑法 (as amended by Amendment IX)", name = "中华人民共和国刑法" },
    -- LAW: I2019 (法释〔2019〕15号) took effect 2019-11-01 and, there being
    -- no earlier interpretation on these thresholds, applies to pending
    -- cases of acts from 2015-11-01 (TEMP-JI rule 2): keyed on the act from
    -- the day the articles exist; acts before its effective date are
    -- flagged pre_interpretation_conduct.
    I2019 = { key = "act", from = PARAMS.temporal.am9_effective,
              title = "最高人民法院 最高人民检察院关于办理非法利用信息网络、帮助信息网络犯罪"
                  .. "活动等刑事案件适用法律若干问题的解释 (法释〔2019〕15号)" },
    -- LAW: the 2000 provisions on property penalties (fine floor). The day
    -- they took effect is not in legal-rules.md (UNVERIFIED there); it
    -- precedes every act these articles reach, so no case turns on it.
    P2000 = { key = "act", from = "2000-12-19",
              title = "最高人民法院关于适用财产刑若干问题的规定 (法释〔2000〕45号)" },
    -- TF-OP2 (法发〔2021〕22号), issued 2021-06-17 (legal-rules.md gives
    -- "June 2021"; the day is the document's date, UNVERIFIED there):
    -- the card tests TF2021:9.1 and 9.2, for cases tried from that day.
    TF2021 = { key = "trial", from = "2021-06-17", offenses = { help_network_crime = true },
               title = "关于办理电信网络诈骗等刑事案件适用法律若干问题的意见（二） "
                   .. "(法发〔2021〕22号)" },
    -- DK2022 minutes (secondary source; legal-rules.md gives the year, the
    -- day is UNVERIFIED): the review flag card_inflow_rule.
    DK2022 = { key = "trial", from = "2022-03-22", offenses = { help_network_crime = true },
               title = "关于“断卡”行动中有关法律适用问题的会议纪要 (2022)" },
    -- LAW: the 2021 sentencing guideline applies to cases tried from
    -- 2021-07-01 (legal-rules 6.3, 6.4).
    G2021 = { key = "trial", from = "2021-07-01",
              title = "最高人民法院 最高人民检察院关于常见犯罪的量刑指导意见（试行）(2021)" },
    -- LAW: the 2024 guideline (II) extends the method to Art. 287-2 for
    -- cases tried from 2024-07-01; its numbers are UNVERIFIED (legal-rules
    -- 6.4, 9 item 1): the calibrated parameters stand for them.
    -- Its trial ran to 2025-06-30; whether it was extended is UNVERIFIED,
    -- so it stays in force (to = nil) until the text says otherwise.
    G2024 = { key = "trial", from = "2024-07-01", to = nil,
              offenses = { help_network_crime = true },
              title = "关于常见犯罪的量刑指导意见（二）（试行）(2024)" },
}

-- The act-keyed versions, oldest first: the statute and interpretation as
-- they stood from `from`. P is PARAMS as that version reads it.
LAW.versions = {
    { id = "CL2015;I2019", from = PARAMS.temporal.am9_effective, P = PARAMS,
      title = "Criminal Law Arts. 286-1, 287-1, 287-2 (Amendment IX) and I2019" },
}

-- The threshold groups a version may change.
local VERSIONED = { netsec = true, illegal_use = true, helping = true }

local function copy(t)
    local c = {}
    for k, v in pairs(t) do
        c[k] = type(v) == "table" and copy(v) or v
    end
    return c
end

-- The arguments of LAW.amend and their types.
local AMEND_ARGS = { id = "string", from = "string", title = "string", patch = "table" }

-- Add a version of the statute or interpretation: id (for law_version),
-- from (act date it applies from), title, patch = { group = { name =
-- value, ... } } over the version before it. Call at load time only.
function LAW.amend(a)
    for k, v in pairs(a) do
        if AMEND_ARGS[k] == nil or type(v) ~= AMEND_ARGS[k] then
            error("LAW.amend: unknown argument or wrong type: " .. tostring(k), 2)
        end
    end
    local last = LAW.versions[#LAW.versions]
    if type(a.id) ~= "string" or type(a.from) ~= "string" or a.from <= last.from then
        error("LAW.amend: give an id and a from date after " .. last.from, 2)
    end
    local P = copy(last.P)
    for group, values in pairs(a.patch or {}) do
        if not VERSIONED[group] then
            error("LAW.amend: " .. group .. " is not a threshold group (netsec, illegal_use, "
                  .. "helping)", 2)
        end
        for name, v in pairs(values) do
            if P[group][name] == nil then
                error("LAW.amend: PARAMS." .. group .. "." .. name .. " does not exist", 2)
            end
            P[group][name] = v
        end
    end
    LAW.versions[#LAW.versions + 1] = { id = a.id, from = a.from, P = P, title = a.title }
end

-- Build something (an offense's tests) once per version: returns
-- { [version id] = build(P) }.
function LAW.each_version(build)
    local by = {}
    for i = 1, #LAW.versions do
        local v = LAW.versions[i]
        by[v.id] = build(v.P)
    end
    return by
end

-- The version in force on date d (acts before the first get the first:
-- the screens have already refused them).
function LAW.version_at(d)
    local vs = LAW.versions
    for i = #vs, 1, -1 do
        if d >= vs[i].from then return vs[i] end
    end
    return vs[1]
end

-- The part of a citation id before ':' (its source).
function LAW.source_of(cite)
    local i = cite:find(":", 1, true)
    return i and cite:sub(1, i - 1) or cite
end

-- Trial-keyed sources, in the order law_version lists them (a module that
-- adds a source appends it at load time).
LAW.trial_order = { "TF2021", "DK2022", "G2021", "G2024" }

-- The law of one case: its dates, the trial-keyed sources in force for its
-- offense, and the act-keyed versions at the act and at trial.
function LAW.for_case(offense, act_date, trial_date)
    local law = { offense = offense, act_date = act_date, trial_date = trial_date,
                  in_force = {}, trial_sources = {} }
    for id, s in pairs(LAW.sources) do
        local date = s.key == "act" and act_date or trial_date
        local applies = date >= s.from and (s.to == nil or date <= s.to)
            and (s.offenses == nil or s.offenses[offense])
        law.in_force[id] = applies and true or false
    end
    local order = LAW.trial_order
    for i = 1, #order do
        local id = order[i]
        if law.in_force[id] then law.trial_sources[#law.trial_sources + 1] = id end
    end
    law.at_act = LAW.version_at(act_date)
    law.at_trial = LAW.version_at(trial_date)
    return law
end

-- "CL2015;I2019;TF2021;G2021": the version applied and the trial-keyed
-- sources in force.
function LAW.version_text(law, version)
    local parts = { version.id }
    for i = 1, #law.trial_sources do parts[#parts + 1] = law.trial_sources[i] end
    return table.concat(parts, ";")
end

-- Why a trial-keyed source's test is not evaluated (trace note).
function LAW.not_in_force_note(law, source)
    local s = LAW.sources[source]
    if s.offenses and not s.offenses[law.offense or ""] and law.trial_date >= s.from then
        return source .. " does not apply to this offense"
    end
    return ("%s applies to cases tried from %s; this case was tried on %s")
        :format(source, s.from, law.trial_date)
end

-------------------------------------------------------------------------------
-- Provision titles: what `sentencer explain` prints beside each citation id.
-------------------------------------------------------------------------------

-- The Criminal Law's articles the rules cite, with the name of the offence
-- (the SPC/SPP list of charges) or the usual editorial heading (the Code
-- itself has no headings). Also every threshold test (the ids of
-- threshold_basis, and the DK2022:4 review rule), named in the words of its
-- provision as legal-rules.md 1.2, 2.2, 3.3-3.5 and 6.1 give it; a point
-- legal-rules.md leaves UNVERIFIED or discretionary says so.
LAW.headings = {
    ["CL:286-1"] = "拒不履行信息网络安全管理义务罪",
    ["CL:287-1"] = "非法利用信息网络罪",
    ["CL:287-2"] = "帮助信息网络犯罪活动罪",
    ["CL:12"] = "溯及力",
    ["CL:17"] = "刑事责任年龄",
    ["CL:17-1"] = "已满七十五周岁的人的刑事责任",
    ["CL:27"] = "从犯",
    ["CL:37-1"] = "职业禁止",
    ["CL:38"] = "管制的期限；禁止令",
    ["CL:65"] = "一般累犯",
    ["CL:67"] = "自首；坦白",
    ["CL:68"] = "立功",
    ["CL:72"] = "缓刑的适用条件；禁止令",
    ["CL:73"] = "缓刑的考验期限",
    ["CL:74"] = "累犯和犯罪集团的首要分子不适用缓刑",
    -- I2019 Art. 3: 致使违法信息大量传播 (legal-rules 1.2 (i), 6.1)
    ["I2019:3.1"] = "致使传播违法视频文件二百个以上",
    ["I2019:3.2"] = "致使传播违法视频文件以外的其他违法信息二千个以上",
    ["I2019:3.3"] = "传播违法信息数量未达第一、二项标准，但按相应比例折算合计达到标准",
    ["I2019:3.4"] = "致使向二千个以上用户账号传播违法信息",
    ["I2019:3.5"] = "经成员账号累计三千以上的通讯群组或关注人员账号累计三万以上的社交网络传播",
    ["I2019:3.6"] = "违法信息实际被点击数达到五万以上",
    -- I2019 Art. 4: 致使用户信息泄露，造成严重后果 (legal-rules 1.2 (ii), 6.1)
    ["I2019:4.1"] = "致使泄露行踪轨迹信息、通信内容、征信信息、财产信息五百条以上",
    ["I2019:4.2"] = "致使泄露住宿信息、通信记录、健康生理信息、交易信息等五千条以上",
    ["I2019:4.3"] = "致使泄露其他用户信息五万条以上",
    ["I2019:4.4"] = "泄露用户信息数量未达第一至三项标准，但按相应比例折算合计达到标准",
    ["I2019:4.5"] = "造成他人死亡、重伤、精神失常或者被绑架等严重后果",
    ["I2019:4.6"] = "造成重大经济损失（解释未定数额，未经核实）",
    ["I2019:4.7"] = "严重扰乱社会秩序",
    -- I2019 Art. 5: 致使刑事案件证据灭失，情节严重 (legal-rules 1.2 (iii))
    ["I2019:5.1"] = "造成危害国家安全、恐怖活动、黑社会性质组织、贪污贿赂犯罪案件的证据灭失",
    ["I2019:5.2"] = "造成可能判处五年有期徒刑以上刑罚犯罪案件的证据灭失",
    ["I2019:5.3"] = "多次造成刑事案件证据灭失（“多次”的次数未经核实）",
    ["I2019:5.4"] = "致使刑事诉讼程序受到严重影响",
    -- I2019 Art. 6: 有其他严重情节 (legal-rules 1.2 (iv))
    ["I2019:6.1"] = "对绝大多数用户日志未留存或者未落实真实身份信息认证义务",
    ["I2019:6.2"] = "二年内经多次责令改正拒不改正（“多次”的次数未经核实）",
    ["I2019:6.3"] = "致使信息网络服务被主要用于违法犯罪",
    ["I2019:6.4"] = "致使信息网络服务、网络设施被用于实施网络攻击，严重影响生产、生活",
    ["I2019:6.5"] = "信息网络服务被用于危害国家安全、恐怖活动、黑社会性质组织、贪污贿赂等重大犯罪",
    ["I2019:6.6"] = "国家机关或通信、能源等领域的公共服务网络受到破坏，严重影响生产、生活",
    -- I2019 Art. 10: 非法利用信息网络，情节严重 (legal-rules 2.2)
    ["I2019:10.1"] = "假冒国家机关、金融机构名义设立用于实施违法犯罪活动的网站",
    ["I2019:10.2"] = "设立用于实施违法犯罪活动的网站三个以上或者注册账号数累计二千以上",
    ["I2019:10.3"] = "设立用于实施违法犯罪活动的通讯群组五个以上或者群组成员账号数累计一千以上",
    ["I2019:10.4"] = "发布违法犯罪信息达网站一百条、账号二千个、群组成员累计三千或关注人员累计三万以上",
    ["I2019:10.5"] = "违法所得一万元以上",
    ["I2019:10.6"] = "二年内曾因非法利用信息网络、帮信、危害计算机信息系统安全受过行政处罚又实施",
    -- I2019 Art. 12: 帮助信息网络犯罪活动，情节严重 (legal-rules 3.3, 3.4)
    ["I2019:12.1"] = "为三个以上对象提供帮助",
    ["I2019:12.2"] = "支付结算金额二十万元以上",
    ["I2019:12.3"] = "以投放广告等方式提供资金五万元以上",
    ["I2019:12.4"] = "违法所得一万元以上",
    ["I2019:12.5"] = "二年内曾因非法利用信息网络、帮信、危害计算机信息系统安全受过行政处罚又帮助",
    ["I2019:12.6"] = "被帮助对象实施的犯罪造成严重后果",
    ["I2019:12.p2"] = "无法证实被帮助对象构成犯罪，数额达前款第二至四项标准五倍以上或造成特别严重后果",
    -- the "two-card" tests (legal-rules 3.5)
    ["TF2021:9.1"] = "收购、出售、出租信用卡、银行账户、非银行支付账户等五张（个）以上",
    ["TF2021:9.2"] = "收购、出售、出租他人手机卡、流量卡、物联网卡二十张以上",
    ["DK2022:4"] = "卡内单向流入资金超过三十万元，其中经查证诈骗资金三千元以上（裁量认定）",
    ["BX2025:6"] = "“两卡”情节严重的标准（条号未经核实）",
}

local DIGITS = { "一", "二", "三", "四", "五", "六", "七", "八", "九" }

-- n (1-999) in Chinese numerals, as article numbers are written:
-- 12 -> 十二, 287 -> 二百八十七, 105 -> 一百零五.
local function zh(n)
    if n < 10 then return DIGITS[n] end
    if n < 100 then
        local t, u = n // 10, n % 10
        return (t > 1 and DIGITS[t] or "") .. "十" .. (u > 0 and DIGITS[u] or "")
    end
    local h, rest = n // 100, n % 100
    local s = DIGITS[h] .. "百"
    if rest == 0 then return s end
    if rest < 10 then return s .. "零" .. DIGITS[rest] end
    return s .. (rest < 20 and "一" or "") .. zh(rest)
end
LAW.zh = zh

-- The digits at the start of s and the rest, or nil.
local function lead_number(s)
    local n, i = 0, 1
    while i <= #s do
        local b = s:byte(i)
        if b < 48 or b > 57 then break end
        n = n * 10 + (b - 48)
        i = i + 1
    end
    if i == 1 or n < 1 or n > 999 then return nil end
    return n, s:sub(i)
end

-- "第十二条第一款第（二）项" for "12.2", "第十二条第二款" for "12.p2",
-- "第二百八十七条之二" for "287-2"; nil when the form is not one of these.
local function article_text(p)
    local art, rest = lead_number(p)
    if not art then return nil end
    local s = "第" .. zh(art) .. "条"
    if rest:sub(1, 1) == "-" then
        local sub, after = lead_number(rest:sub(2))
        if not sub or after ~= "" then return nil end
        return s .. "之" .. zh(sub)
    end
    if rest == "" then return s end
    if rest:sub(1, 2) == ".p" then
        local para, after = lead_number(rest:sub(3))
        if not para or after ~= "" then return nil end
        return s .. "第" .. zh(para) .. "款"
    end
    if rest:sub(1, 1) == "." then
        local item, after = lead_number(rest:sub(2))
        if not item or after ~= "" then return nil end
        return s .. "第一款第（" .. zh(item) .. "）项"
    end
    return nil
end

-- title(cite): the source's title, the provision in Chinese and its heading,
-- e.g. "中华人民共和国刑法 第二百八十七条之二（帮助信息网络犯罪活动罪）"; nil
-- for an id whose source is not in LAW.sources. The host calls it (the
-- global `title`) for each citation id `sentencer explain` prints.
function LAW.title(cite)
    if type(cite) ~= "string" then return nil end
    local src = LAW.source_of(cite)
    local s = LAW.sources[src]
    if s == nil then return nil end
    local doc = s.name or s.title
    if src == cite then return doc end
    local p = cite:sub(#src + 2)
    local where
    if src == "G2021" then
        local part, rest = lead_number(p)
        if part then
            where = "第" .. zh(part) .. "部分"
            local item = rest:sub(1, 1) == "." and lead_number(rest:sub(2))
            if item then where = where .. "第" .. item .. "项" end
        end
    elseif src == "TF2021" then
        where = article_text(p:sub(1, (p:find(".", 1, true) or #p + 1) - 1))
    else
        where = article_text(p)
    end
    local text = doc .. " " .. (where or p)
    local heading = LAW.headings[cite]
    if heading then text = text .. "（" .. heading .. "）" end
    return text
end
title = LAW.title

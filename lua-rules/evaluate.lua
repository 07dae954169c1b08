--[[---------------------------------------------------------------------------
 evaluate.lua
     The entry point: evaluate(case) for one charge (one defendant, one
     offense, its acts). Screens the acts (date, age), finds the law of the
     case in time (law.lua: the version of the statute and interpretation
     at the act and at trial, the opinions and guidelines in force at
     trial), and judges the case under it: accumulates the acts (I2019:16),
     runs the offense's tests, then the statutory measures, the sentencing
     method and the dispositions. Where the version at the act and the one
     at trial differ, the case is judged under both and the lighter kept
     (CL:12). Returns one row of recommendations.csv (without the key
     columns and rule_set) plus its trace.

 Globals defined: evaluate.

 lua-rules/evaluate.lua
-----------------------------------------------------------------------------]]

local common, measures, sentencing, OFFENSES = common, measures, sentencing, OFFENSES
local new_ev, trace_note, contains = common.new_ev, common.trace_note, common.contains
local cite, flag = common.cite, common.flag
local INT_EFF = PARAMS.temporal.int2019_effective
local WINDOW = PARAMS.temporal.accumulation_window_years
local MINOR_BELOW, ELDERLY_FROM = PARAMS.age.minor_below, PARAMS.age.elderly_from
local NOTE_PRE = ("act before %s: the 2019 thresholds apply (no earlier interpretation "
                  .. "existed, TEMP-JI rule 2)"):format(INT_EFF)

-- Sentencing circumstances (case-interchange.md): defendant-level facts
-- that may be recorded on any act; true on any act that passes the date and
-- age screens = true, whether or not that act's counts are accumulated (a
-- plea or a record does not depend on which acts add up, and an act whose
-- counts grow into the accumulation must not bring or drop one).
local CIRCS = {
    "used_occupation", "surrendered", "confessed", "guilty_plea", "meritorious",
    "recidivist", "ringleader", "accessory", "restitution", "victim_forgiveness",
    "prior_record", "pregnant",
}

-- static trace notes (no string building per call)
local NOTE_NOT_ACCUMULATED = "more than two years before the latest act and not an offense "
    .. "on its own"
local NOTE_LENIENCY = "facts just over the threshold with mitigation: exemption or "
    .. "non-prosecution may be considered (criterion in PARAMS.leniency)"

local function err(msg, kind)
    return common.error_result(msg, kind)
end

-- Screen each act: returns the acts that pass (the circumstances are read
-- from these), or nil, message, error kind. A refused act is in the trace.
local function screen_acts(acts, off, person, trace)
    local kind = acts[1].defendant_kind
    local valid, first_err = {}, nil
    for i = 1, #acts do
        local a = acts[i]
        if a.defendant_kind ~= kind then
            return nil, ("act %s is recorded for a %s, act %s for a %s: one charge has one "
                         .. "defendant"):format(tostring(a.act_no), a.defendant_kind,
                                                tostring(acts[1].act_no), kind), "data"
        end
        local msg = measures.screen_act(a, person, off)
        if msg then
            if #acts == 1 then return nil, msg, "legal" end
            first_err = first_err or msg
            trace_note(trace, "act excluded", nil, msg,
                       { act_no = a.act_no, offense_date = a.offense_date }, false)
        else
            valid[#valid + 1] = a
        end
    end
    if #valid == 0 then return nil, first_err, "legal" end
    return valid
end

-- Keep the acts that add up under I2019:16 (each alone an offense, or
-- within two years of the latest act) and accumulate them. Returns
-- included, facts, assumed, accumulated.
local function select_acts(valid, off, law, version, trace)
    if #valid == 1 then return valid, valid[1], valid[1].assumed, false end

    local latest = valid[1].offense_date
    for i = 2, #valid do
        local d = valid[i].offense_date
        if d > latest then latest = d end
    end
    local from = common.years_before(latest, WINDOW)
    local included = {}
    for i = 1, #valid do
        local a = valid[i]
        if a.offense_date >= from then
            included[#included + 1] = a
        else
            local ev = new_ev(nil, law, version)
            off.run(a, nil, ev)
            if ev.threshold_met then
                included[#included + 1] = a
            else
                trace_note(trace, "act not accumulated", "I2019:16",
                           NOTE_NOT_ACCUMULATED, { act_no = a.act_no, offense_date = a.offense_date,
                                              latest_act_date = latest }, false)
            end
        end
    end
    if #included == 1 then
        return included, included[1], included[1].assumed, false
    end
    local f, assumed = common.accumulate(off, included)
    trace_note(trace, "acts accumulated", "I2019:16",
               "counts and amounts summed, circumstances combined",
               { acts = #included, latest_act_date = latest, window_from = from }, true)
    return included, f, assumed, true
end

-- Did summing the acts change the outcome? True when a basis test is met
-- by no single included act, or no single act reaches the threshold. Each
-- act is judged as the offense judges it alone (so a 287-2 act whose helped
-- crime is unproven meets no para 1 test on its own).
local function accumulation_changed(off, included, ev)
    if not ev.threshold_met then return false end
    local n = #included
    local single_met, alone = {}, false
    for k = 1, n do
        local e = new_ev(nil, ev.law, ev.version)
        off.run(included[k], nil, e)
        if e.threshold_met then alone = true end
        single_met[k] = e.met
    end
    if not alone then return true end
    local met = ev.met
    for i = 1, #met do
        local t, any = met[i], false
        for k = 1, n do
            if contains(single_met[k], t) then any = true; break end
        end
        if not any then return true end
    end
    return false
end

-- valid: the acts that passed the screens (circumstances); included: the
-- acts accumulated (ages at the acts that make the offense, and income).
local function defendant_context(off, person, valid, included, f)
    local ctx = { person = person, minor = false, elderly = false, income = 0 }
    local nv = #valid
    if nv == 1 then
        local a = valid[1]
        for i = 1, #CIRCS do ctx[CIRCS[i]] = a[CIRCS[i]] end
    else
        for i = 1, #CIRCS do
            local name, v = CIRCS[i], false
            for k = 1, nv do
                if valid[k][name] then v = true; break end
            end
            ctx[name] = v
        end
    end
    if person then
        -- minor / elderly only when every included act records such an age
        local minor, elderly = true, true
        for k = 1, #included do
            local age = included[k].age_at_offense
            if not age or age >= MINOR_BELOW then minor = false end
            if not age or age < ELDERLY_FROM then elderly = false end
        end
        ctx.minor, ctx.elderly = minor, elderly
    end
    if off.uses_income then ctx.income = f.illegal_income_yuan end
    return ctx
end

local function trace_defendant(trace, person, valid, included, ctx)
    local a = included[#included]
    local age = a.age_at_offense
    local assumed
    for i = 1, #CIRCS do
        local name = CIRCS[i]
        -- a circumstance found true on some act is not an assumption; else
        -- it is one when some act it is read from did not record it
        for k = 1, ctx[name] and 0 or #valid do
            if valid[k].assumed[name] then
                assumed = assumed or {}
                assumed[name] = true
                break
            end
        end
    end
    if trace then
        local facts = { defendant_kind = a.defendant_kind, age_at_offense = age,
                        minor = ctx.minor, elderly = ctx.elderly }
        for i = 1, #CIRCS do facts[CIRCS[i]] = ctx[CIRCS[i]] end
        trace[#trace + 1] = {
            step = "defendant and circumstances", facts = facts, assumed = assumed,
            note = (person and not age) and "age not recorded: treated as an adult" or nil,
        }
    end
    return assumed ~= nil
end

local NOTE_G2021 = "the 2021 guideline applies to cases tried from 2021-07-01: its method "
    .. "stands here for the guidance in force at trial (not encoded); review the term"
local NOTE_G2024 = "the 2024 guideline (II) applies to Art. 287-2 cases tried from "
    .. "2024-07-01; its starting points and increments are UNVERIFIED: the calibrated "
    .. "parameters stand for them"

-- Judge the charge under one version of the statute and interpretation
-- (law.lua); valid: the acts that passed the screens. Returns the result.
local function judge(off, valid, person, law, version, trace)
    -- accumulate (I2019:16), then the offense's tests (the included acts
    -- too: 287-2 splits them by branch)
    local included, f, assumed, accumulated = select_acts(valid, off, law, version, trace)
    local ev = new_ev(trace, law, version)
    off.run(f, assumed, ev, included)

    local res = common.result_new(trace)
    local met = ev.threshold_met
    res.threshold_met = met
    cite(res, off.article)
    if met then
        res.threshold_basis = ev.basis
        if off.gate_cite then cite(res, off.gate_cite) end
        local basis = ev.basis
        for i = 1, #basis do cite(res, basis[i]) end
        if accumulated and accumulation_changed(off, included, ev) then
            cite(res, "I2019:16")
            trace_note(trace, "accumulation changed the outcome", "I2019:16",
                       "a threshold is reached only by the acts together", nil, true)
        end
    else
        flag(res, "below_threshold")
    end

    -- who the defendant is, measures, sentencing, dispositions
    local ctx = defendant_context(off, person, valid, included, f)
    -- an unrecorded circumstance read as false is an assumption too
    if trace_defendant(trace, person, valid, included, ctx) then ev.any_assumed = true end
    measures.statutory(res, off, ctx, trace)
    sentencing.recommend(res, off, ctx, ev, trace)
    measures.dispositions(res, ctx, trace)
    if not law.in_force.G2021 then
        flag(res, "sentencing_guideline_not_in_force")
        trace_note(trace, "sentencing guideline at trial", "G2021:2", NOTE_G2021,
                   { trial_date = law.trial_date }, false)
    end
    if law.in_force.G2024 then
        cite(res, "G2024")
        trace_note(trace, "sentencing guideline at trial", "G2024", NOTE_G2024,
                   { trial_date = law.trial_date }, true)
    end

    -- review flags
    if off.heavier_offense_flag then flag(res, "heavier_offense_check") end
    if met and ev.minor and not (ctx.recidivist or ctx.ringleader or ctx.prior_record)
        and (ctx.surrendered or ctx.confessed or ctx.guilty_plea or ctx.restitution
             or ctx.meritorious or ctx.accessory or ctx.minor) then
        flag(res, "leniency_candidate")
        cite(res, "I2019:15")
        trace_note(trace, "leniency candidate", "I2019:15", NOTE_LENIENCY, nil, true)
    end
    for k = 1, #included do
        if included[k].offense_date < INT_EFF then
            flag(res, "pre_interpretation_conduct")
            trace_note(trace, "conduct before the interpretation", "I2019:19",
                       NOTE_PRE, { offense_date = included[k].offense_date }, true)
            break
        end
    end
    if ev.card_inflow then flag(res, "card_inflow_rule") end
    for k = 1, #ev.flags do flag(res, ev.flags[k]) end
    if ev.any_assumed then flag(res, "assumed_facts") end
    res.law_version = LAW.version_text(law, version)
    return res
end

-- Is a heavier than b under CL:12 (legal-rules 6.3)? The law that makes
-- the facts no offense is the lighter; then the one with the lower
-- statutory maximum. The recommended term is not law (it is the project's
-- calibrated method): two versions with the same statutory range tie, and
-- the law at the act applies.
local function heavier_than(a, b)
    if a.threshold_met ~= b.threshold_met then return a.threshold_met end
    return (a.statutory_max_months or 0) > (b.statutory_max_months or 0)
end

local NOTE_CL12_SAME = "one version of the statute and interpretation from the act to the trial"
local NOTE_CL12_OLD = "CL:12: the law at the act applies unless the law at trial is lighter; "
    .. "it is not"
local NOTE_CL12_NEW = "CL:12: the law at trial is lighter than the law at the act and applies"

-- The date the opinions and guidelines are keyed on: the latest conviction
-- date recorded on the acts, else the run's date (legal-rules 6.3).
local function trial_date(case, acts)
    local d
    for i = 1, #acts do
        local c = acts[i].conviction_date
        if c and (d == nil or c > d) then d = c end
    end
    return d or case.run_date
end

-- explain: build the trace (the nightly run asks for none; `explain`
-- replays a case with one). The result must not depend on it. An error
-- about the facts (common.data_error, a sum too large to compute) stops
-- the evaluation; the program makes it the case's error, kind data.
function evaluate(case, explain)
    local off = OFFENSES[case.offense]
    if off == nil then return err("unknown offense '" .. tostring(case.offense) .. "'", "data") end
    local acts = case.acts
    if #acts == 0 then return err("the charge has no acts", "data") end
    local person = acts[1].defendant_kind == "person"
    local trace = explain and {} or nil

    local valid, msg, kind = screen_acts(acts, off, person, trace)
    if valid == nil then return err(msg, kind) end

    -- the law in time: the latest act that passed the screens, the trial
    local act_date = valid[1].offense_date
    for i = 2, #valid do
        if valid[i].offense_date > act_date then act_date = valid[i].offense_date end
    end
    local tried = trial_date(case, acts)
    if not tried then
        return err("no conviction_date recorded and no run date given: the opinions and "
                   .. "guidelines in force cannot be chosen", "data")
    end
    local law = LAW.for_case(case.offense, act_date, tried)
    local at_act, at_trial = law.at_act, law.at_trial
    local facts = { act_date = act_date, trial_date = tried, version_at_act = at_act.id,
                    version_at_trial = at_trial.id }
    if at_act == at_trial then
        trace_note(trace, "law in time", "CL:12", NOTE_CL12_SAME, facts, true)
        return common.finish(judge(off, valid, person, law, at_act, trace))
    end

    -- the statute or interpretation changed between act and trial: judge
    -- under both, keep the lighter (the law at the act on a tie)
    local trace_act = explain and {} or nil
    local trace_trial = explain and {} or nil
    local res_act = judge(off, valid, person, law, at_act, trace_act)
    local res_trial = judge(off, valid, person, law, at_trial, trace_trial)
    local res, chosen_trace, note = res_act, trace_act, NOTE_CL12_OLD
    if heavier_than(res_act, res_trial) then
        res, chosen_trace, note = res_trial, trace_trial, NOTE_CL12_NEW
    end
    cite(res, "CL:12")
    if trace then
        facts.version_applied = (res == res_act) and at_act.id or at_trial.id
        trace_note(trace, "law in time", "CL:12", note, facts, true)
        for i = 1, #chosen_trace do trace[#trace + 1] = chosen_trace[i] end
        res.trace = trace
    end
    return common.finish(res)
end


--[[---------------------------------------------------------------------------
 measures.lua
     Who can be punished, and with what (legal-rules 5, 6.3, 8.2):
       - acts before 2015-11-01 and persons under 16 at the act are not
         punishable under these articles (screen_act);
       - statutory principal penalties, fine rule and floor, suspension
         availability (statutory);
       - probation bounds, occupational ban and injunction eligibility once
         the recommendation is known (dispositions).
 A unit can only be fined (CL:286-1/287-1/287-2 para 2; I2019:14): no
 statutory principal penalty, no suspension, ban or injunction, and no
 asserted fine floor (P2000:2 for units is UNVERIFIED).

 Globals defined: measures.

 lua-rules/measures.lua
-----------------------------------------------------------------------------]]

measures = {}

local common = common
local cite, trace_note = common.cite, common.trace_note
local TEMP, AGE, PEN, FINE = PARAMS.temporal, PARAMS.age, PARAMS.penalty, PARAMS.fine
local PROB, BAN = PARAMS.probation, PARAMS.ban
local AM9 = TEMP.am9_effective

-- Nil when the act can be punished under the offense's article, otherwise
-- the message for the user (it names the date or the age).
function measures.screen_act(a, person, off)
    local d = a.offense_date
    if d < AM9 then
        return ("act %s dated %s is before %s, when Criminal Law Amendment IX created %s: "
                .. "not an offense under that article (CL:12)")
            :format(tostring(a.act_no), d, AM9, off.article)
    end
    if person then
        local age = a.age_at_offense
        if age and age < AGE.liability_min then
            return ("defendant aged %d at act %s (%s): under %d, not criminally liable for %s "
                    .. "(CL:17)")
                :format(age, tostring(a.act_no), d, AGE.liability_min, off.article)
        end
    end
    return nil
end

local FINE_RULE = "with_or_alone"
local NOTE_UNIT = "a unit is judged by the same thresholds and can only be fined; "
    .. "no fine floor asserted (P2000:2 for units UNVERIFIED)"

-- Statutory frame of the charge: kinds, maximum, fine rule and floor,
-- whether the law allows a suspended sentence.
function measures.statutory(res, off, ctx, trace)
    res.statutory_max_months = PEN.statutory_max_months
    res.fine_rule = FINE_RULE
    if ctx.person then
        res.statutory_kinds = off.kinds
        if ctx.minor then
            res.fine_min_yuan = FINE.minor_floor
        else
            res.fine_min_yuan = FINE.floor
        end
        cite(res, "P2000:2")
        local excluded = ctx.recidivist or ctx.ringleader
        res.suspension_allowed = not excluded
        if excluded then
            cite(res, "CL:74")
            trace_note(trace, "suspension not allowed", "CL:74",
                       "no suspended sentence for a recidivist or a ringleader",
                       { recidivist = ctx.recidivist, ringleader = ctx.ringleader }, false)
        end
    else
        res.statutory_kinds = nil
        res.fine_min_yuan = FINE.unit_floor or nil
        res.suspension_allowed = false
        cite(res, "I2019:14")
        trace_note(trace, "unit offender", "I2019:14", NOTE_UNIT)
    end
end

local NOTE_INJUNCTION = "may be declared for the surveillance term or probation period "
    .. "(minimum 3 months for surveillance, 2 for probation: INJ2011 Art. 6)"
local BAN_SUSP_NOTE = "ban with a suspended sentence: whether and from when it runs is "
    .. "UNVERIFIED (CL:37-1 counts from the end of the sentence)"

-- Probation, occupational ban and injunction, once res.recommended_kind,
-- res.recommended_months and res.recommended_suspended are set.
function measures.dispositions(res, ctx, trace)
    local kind, months = res.recommended_kind, res.recommended_months

    -- CL:73 probation period for a suspended term
    if res.recommended_suspended then
        if kind == "detention" then
            res.probation_min_months = months > PROB.detention_min and months or PROB.detention_min
            res.probation_max_months = PROB.detention_max
        else
            res.probation_min_months = months > PROB.fixed_term_min and months
                or PROB.fixed_term_min
            res.probation_max_months = PROB.fixed_term_max
        end
        cite(res, "CL:73")
    end

    -- CL:37-1; I2019:17: sentenced to punishment for a crime committed by
    -- using an occupation; not for a unit; not for acts all before AM9
    -- (screen_act already rejected those).
    local ban = ctx.person and ctx.used_occupation and kind ~= "exempt"
    res.ban_eligible = ban and true or false
    if ban then
        res.ban_min_years = BAN.min_years
        res.ban_max_years = BAN.max_years
        local y = BAN.recommended_years
        if kind == "fixed_term" and months >= BAN.raise_from_months and y < BAN.max_years then
            y = y + 1
        end
        res.ban_recommended_years = y
        cite(res, "CL:37-1")
        cite(res, "I2019:17")
        local e = trace_note(trace, "occupational ban eligible", "CL:37-1",
                             "may be declared for 3 to 5 years from the end of the sentence",
                             { used_occupation = true }, y)
        if e and res.recommended_suspended then e.note = BAN_SUSP_NOTE end
    end

    -- CL:38, CL:72; I2019:17: injunction with surveillance or suspension
    local inj = kind == "surveillance" or res.recommended_suspended == true
    res.injunction_eligible = inj
    if inj then
        cite(res, "I2019:17")
        trace_note(trace, "injunction eligible", kind == "surveillance" and "CL:38" or "CL:72",
                   NOTE_INJUNCTION, nil, true)
    end
end

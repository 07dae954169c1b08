--[[---------------------------------------------------------------------------
 sentencing.lua
     The recommended term, its band, the kind and the fine, by the method of
     the 2021 sentencing guideline (G2021 Part II; legal-rules 6.4):
       1. starting point (量刑起点) for the offense;
       2. base sentence (基准刑): + increments for the facts above the
          threshold;
       3. first-tier circumstances (minor, elderly, accessory) applied first,
          multiplied in turn: B1 = B * prod(1 + r_first);
       4. the others added with their signs: B2 = B1 * (1 + sum r_other),
          the recidivist term at least +3 months; 认罪认罚 absorbs surrender,
          confession, restitution and compensation/forgiveness (no double
          counting, G2021:3.14);
       5. the kind follows B2 (fine alone, surveillance for 286-1 only,
          detention below 6 months, else fixed term), the term is rounded
          half up and clamped to the kind's statutory range, the band is
          +-20% (G2021 II(3)(4)) inside that range;
       6. the suspended sentence by the documented rule of PARAMS.suspension;
       7. the fine by the calibrated formula of PARAMS.fine.
 Starting points and increments are calibrated, not national numbers: see
 params.lua. A unit is fined only; its term-equivalent only scales the fine.

 Globals defined: sentencing.

 lua-rules/sentencing.lua
-----------------------------------------------------------------------------]]

sentencing = {}

local common = common
local cite, trace_note, round, clamp = common.cite, common.trace_note, common.round, common.clamp
local yuan_num = common.yuan_num
local S, A, PEN, FINE, SUSP = PARAMS.sentencing, PARAMS.adjust, PARAMS.penalty, PARAMS.fine,
    PARAMS.suspension
local min = math.min

-- months from a float result, per PARAMS.sentencing.rounding
local round_months
if S.rounding == "half_up" then
    round_months = round
elseif S.rounding == "down" then
    round_months = function(x) return math.floor(x + 1e-9) end
else
    error("PARAMS.sentencing.rounding: 'half_up' or 'down', got " .. tostring(S.rounding))
end

local NOTE_START = "calibrated starting point: no national number (286-1, 287-1; "
    .. "287-2 under G2024 UNVERIFIED), see params.lua"

-- Steps 1-2: the base sentence in months (integer).
local function base_months(off, ev, trace)
    local start = S.start_months[off.key]
    local inc, extra = 0, 0
    if ev.threshold_met then
        inc = min(ev.steps * S.increment_months, S.increment_cap_months)
        extra = min((#ev.basis - 1) * S.extra_test_months, S.extra_test_cap_months)
    end
    local b = min(start + inc + extra, PEN.statutory_max_months)
    if trace then
        trace[#trace + 1] = { step = "starting point", cite = "G2021:2", result = start,
                              note = NOTE_START }
        trace[#trace + 1] = { step = "base sentence", cite = "G2021:2", result = b,
                              facts = { steps_above_threshold = ev.steps,
                                        increment_months = inc,
                                        further_tests = #ev.basis > 0 and #ev.basis - 1 or 0,
                                        further_tests_months = extra } }
    end
    return b
end

local STEP_PLEA = "guilty plea and acceptance of punishment (absorbs surrender, "
    .. "confession, restitution, forgiveness)"
local NOTE_CAP = ("plea row capped at %d%%"):format(A.guilty_plea.cap)
local NOTE_CAP_ENHANCED = ("plea row with surrender or restitution capped at %d%%")
    :format(A.guilty_plea.cap_enhanced)

-- One adjustment: cite it, trace it, return its percentage.
local function use(res, trace, p, step, pct)
    cite(res, p.cite)
    if p.law then cite(res, p.law) end
    if trace then
        trace[#trace + 1] = { step = step, cite = p.cite, pct = pct }
    end
    return pct
end

-- Steps 3-4: the adjusted result B2 (a float, months).
local function adjust(res, ctx, b, trace)
    local b1 = b
    local other = 0        -- signed sum of other percentages
    local multiply = S.first_tier_multiply

    -- first tier (G2021 II(2)): minor, elderly, accessory
    local p
    if ctx.minor then
        p = use(res, trace, A.minor, "minor at the act (first tier)", A.minor.pct)
        if multiply then b1 = b1 * (100 + p) / 100 else other = other + p end
    end
    if ctx.elderly then
        p = use(res, trace, A.elderly, "aged 75 or more (first tier)", A.elderly.pct)
        if multiply then b1 = b1 * (100 + p) / 100 else other = other + p end
    end
    if ctx.accessory then
        p = use(res, trace, A.accessory, "accessory (first tier)", A.accessory.pct)
        if multiply then b1 = b1 * (100 + p) / 100 else other = other + p end
    end

    -- others, added with their signs
    local surrendered, confessed = ctx.surrendered, ctx.confessed
    if surrendered and confessed then
        -- 坦白 is a confession without surrender (CL:67 para 3): count surrender
        confessed = false
        trace_note(trace, "confession not counted", "CL:67",
                   "surrender and confession both recorded: surrender counted")
    end
    local restitution, forgiveness = ctx.restitution, ctx.victim_forgiveness
    if ctx.guilty_plea then
        -- G2021:3.14: the plea row absorbs these circumstances
        local gp = A.guilty_plea
        p = gp.pct
        if surrendered then p = p + A.surrender.pct; cite(res, A.surrender.law) end
        if confessed then p = p + A.confession.pct; cite(res, A.confession.law) end
        if restitution and forgiveness then
            p = p + A.compensation_forgiveness.pct
        elseif restitution then
            p = p + A.restitution.pct
        elseif forgiveness then
            p = p + A.forgiveness_only.pct
        end
        local cap = (surrendered or restitution) and gp.cap_enhanced or gp.cap
        if p < cap then p = cap end
        cite(res, gp.cite)
        if trace then
            trace[#trace + 1] = {
                step = STEP_PLEA,
                cite = gp.cite, pct = p,
                facts = { surrendered = surrendered, confessed = confessed,
                          restitution = restitution, victim_forgiveness = forgiveness },
                note = cap == gp.cap_enhanced and NOTE_CAP_ENHANCED or NOTE_CAP,
            }
        end
        other = other + p
    else
        if surrendered then
            other = other + use(res, trace, A.surrender, "surrender", A.surrender.pct)
        end
        if confessed then
            other = other + use(res, trace, A.confession, "confession", A.confession.pct)
        end
        if restitution and forgiveness then
            other = other + use(res, trace, A.compensation_forgiveness,
                                "compensation and victim forgiveness",
                                A.compensation_forgiveness.pct)
        elseif restitution then
            other = other + use(res, trace, A.restitution, "restitution", A.restitution.pct)
        elseif forgiveness then
            other = other + use(res, trace, A.forgiveness_only,
                                "victim forgiveness without compensation",
                                A.forgiveness_only.pct)
        end
    end
    if ctx.meritorious then
        other = other + use(res, trace, A.meritorious, "meritorious service",
                            A.meritorious.pct)
    end
    if ctx.prior_record and not ctx.recidivist then
        -- a record that makes a recidivist is weighed by the recidivist row
        other = other + use(res, trace, A.prior_record, "criminal record", A.prior_record.pct)
    end

    local b2 = b1 * (100 + other) / 100
    if ctx.recidivist then
        local r = A.recidivist
        local add = b1 * r.pct / 100
        if add < r.min_months then add = r.min_months end
        use(res, trace, r, "recidivist (at least +3 months)", r.pct)
        b2 = b2 + add
    end
    if b2 < 0 then b2 = 0 end
    if trace then
        trace[#trace + 1] = { step = "adjusted result", cite = "G2021:2",
                              result = round(b2 * 100) / 100,
                              facts = { base = b, after_first_tier = round(b1 * 100) / 100,
                                        other_pct = other } }
    end
    return b2
end

-- Step 5: the kind, the term and the band.
local RANGE = {
    fixed_term = PEN.fixed_term,
    detention = PEN.detention,
    surveillance = PEN.surveillance,
}

local function choose_kind(off, b2)
    if b2 < S.fine_only_below_months then
        return "fine_only", nil
    end
    if off.allows_surveillance and b2 < S.surveillance_below_months then
        local r = PEN.surveillance
        return "surveillance", clamp(round_months(b2 * S.surveillance_factor), r.min, r.max)
    end
    if b2 < PEN.fixed_term.min then
        local r = PEN.detention
        return "detention", clamp(round_months(b2), r.min, r.max)
    end
    local r = PEN.fixed_term
    return "fixed_term", clamp(round_months(b2), r.min, min(r.max, PEN.statutory_max_months))
end

-- Step 6: the suspension rule of PARAMS.suspension (documented there).
local function suspend(res, ctx, kind, months)
    if not res.suspension_allowed then return false end
    if kind ~= "detention" and kind ~= "fixed_term" then return false end
    if months > SUSP.max_term_months then return false end
    if not (ctx.surrendered or ctx.confessed or ctx.guilty_plea) then return false end
    if ctx.prior_record then return false end
    if months <= SUSP.light_max_months then return true end
    local special = ctx.minor or ctx.pregnant or ctx.elderly
    return special and months <= SUSP.special_max_months or false
end

-- Step 7: the fine in fen.
local function fine_amount(ctx, off, b2)
    local term = round_months(b2)
    local income = off.uses_income and ctx.income or 0
    local fen
    if ctx.person then
        fen = common.add(FINE.person_base + FINE.person_per_month * term,
                         common.mul(income, FINE.person_income_pct, "the fine") // 100, "the fine")
        if ctx.minor then fen = fen * FINE.minor_pct // 100 end
    else
        fen = common.add(FINE.unit_base + FINE.unit_per_month * term,
                         common.mul(income, FINE.unit_income_pct, "the fine") // 100, "the fine")
    end
    local r = FINE.round_to
    fen = common.add(fen, r // 2, "the fine") // r * r
    local floor = ctx.person and (ctx.minor and FINE.minor_floor or FINE.floor)
        or FINE.unit_floor or 0
    if fen < floor then fen = floor end
    return fen
end

-- Fill recommended_kind, recommended_months, range_*, recommended_suspended
-- and recommended_fine_yuan of res.
function sentencing.recommend(res, off, ctx, ev, trace)
    local b = base_months(off, ev, trace)
    local b2 = adjust(res, ctx, b, trace)

    if ctx.person then
        local kind, months = choose_kind(off, b2)
        res.recommended_kind = kind
        res.recommended_months = months
        if months then
            local r = RANGE[kind]
            local lo = months * (100 - S.band_pct) // 100
            local hi = -((-months * (100 + S.band_pct)) // 100)
            res.range_low_months = lo > r.min and lo or r.min
            res.range_high_months = hi < r.max and hi or r.max
        end
        if kind == "surveillance" then cite(res, "CL:38") end
        if kind == "fine_only" then cite(res, "P2000:4") end
        local susp = suspend(res, ctx, kind, months)
        res.recommended_suspended = susp
        if susp then cite(res, "CL:72") end
        if trace then
            trace[#trace + 1] = { step = "recommended kind and term", cite = "G2021:2",
                                  result = months or 0,
                                  facts = { kind = kind, range_low = res.range_low_months,
                                            range_high = res.range_high_months } }
            trace[#trace + 1] = { step = "suspended sentence", cite = "CL:72", result = susp,
                                  facts = { allowed = res.suspension_allowed,
                                            remorse = ctx.surrendered or ctx.confessed
                                                or ctx.guilty_plea,
                                            prior_record = ctx.prior_record,
                                            minor = ctx.minor, pregnant = ctx.pregnant,
                                            elderly = ctx.elderly },
                                  note = "project rule: see PARAMS.suspension" }
        end
    else
        res.recommended_kind = "fine_only"
        res.recommended_suspended = false
    end

    local fen = fine_amount(ctx, off, b2)
    res.recommended_fine_yuan = fen
    cite(res, "I2019:18")
    if trace then
        trace[#trace + 1] = { step = "recommended fine", cite = "I2019:18",
                              result = yuan_num(fen),
                              facts = { term_equivalent_months = round_months(b2),
                                        illegal_income_yuan = yuan_num(off.uses_income
                                            and ctx.income or 0) },
                              note = ctx.person and "calibrated formula, see PARAMS.fine"
                                  or "unit: the term-equivalent only scales the fine" }
    end
end

-- 001_schema.sql: cases and their acts, runs, recommendations, errors.
--
-- A charge is one defendant and one offense of a case; its acts are the rows
-- of cases.csv. Amounts are integer fen (yuan * 100) in columns named *_fen.
-- facts_rev counts changes to a charge's acts; evaluated_rev and
-- evaluated_rule_set say what its current recommendation was computed from,
-- so pending work is "evaluated_rev IS DISTINCT FROM facts_rev OR
-- evaluated_rule_set IS DISTINCT FROM <rule set>".
-- A recommendation is never updated except to mark it superseded: the
-- newest one is_current, the earlier ones are kept as history.

CREATE TABLE sentencer.charge (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_no text NOT NULL,
    defendant_no text NOT NULL,
    offense text NOT NULL,
    facts_rev integer NOT NULL DEFAULT 1,
    evaluated_rev integer,
    evaluated_rule_set text,
    UNIQUE (case_no, defendant_no, offense)
);

-- Charges whose facts changed since their recommendation, found without a scan.
CREATE INDEX charge_facts_pending ON sentencer.charge (id)
    WHERE evaluated_rev IS DISTINCT FROM facts_rev;

CREATE TABLE sentencer.act (
    charge_id bigint NOT NULL REFERENCES sentencer.charge (id),
    case_no text NOT NULL CHECK (case_no <> ''),
    defendant_no text NOT NULL CHECK (defendant_no <> ''),
    act_no integer NOT NULL CHECK (act_no >= 1),
    court_code text NOT NULL CHECK (court_code <> ''),
    offense text NOT NULL CHECK (offense IN ('refuse_netsec_duty', 'illegal_use_network', 'help_network_crime')),
    offense_date date NOT NULL,
    conviction_date date,
    defendant_kind text NOT NULL CHECK (defendant_kind IN ('person', 'unit')),
    age_at_offense integer CHECK (age_at_offense BETWEEN 0 AND 150),
    ordered_to_correct boolean,
    refused_to_correct boolean,
    illegal_videos_spread bigint CHECK (illegal_videos_spread >= 0),
    illegal_info_spread bigint CHECK (illegal_info_spread >= 0),
    accounts_reached bigint CHECK (accounts_reached >= 0),
    group_members_reached bigint CHECK (group_members_reached >= 0),
    followers_reached bigint CHECK (followers_reached >= 0),
    illegal_info_clicks bigint CHECK (illegal_info_clicks >= 0),
    leaked_sensitive_records bigint CHECK (leaked_sensitive_records >= 0),
    leaked_personal_records bigint CHECK (leaked_personal_records >= 0),
    leaked_other_records bigint CHECK (leaked_other_records >= 0),
    leak_caused_harm boolean,
    leak_major_loss boolean,
    leak_social_disorder boolean,
    evidence_lost_grave_crime boolean,
    evidence_lost_5y_case boolean,
    evidence_lost_repeatedly boolean,
    evidence_lost_trial_affected boolean,
    logs_or_realname_missing boolean,
    refused_repeatedly_2y boolean,
    service_mainly_for_crime boolean,
    service_used_for_attack boolean,
    service_used_for_grave_crime boolean,
    public_service_network_damaged boolean,
    impersonated_authority_site boolean,
    crime_sites bigint CHECK (crime_sites >= 0),
    crime_site_accounts bigint CHECK (crime_site_accounts >= 0),
    crime_groups bigint CHECK (crime_groups >= 0),
    crime_group_members bigint CHECK (crime_group_members >= 0),
    posts_published bigint CHECK (posts_published >= 0),
    accounts_messaged bigint CHECK (accounts_messaged >= 0),
    group_members_messaged bigint CHECK (group_members_messaged >= 0),
    helped_parties bigint CHECK (helped_parties >= 0),
    payment_settled_fen bigint CHECK (payment_settled_fen >= 0),
    ad_funding_fen bigint CHECK (ad_funding_fen >= 0),
    helped_crime_serious boolean,
    helped_crime_unproven boolean,
    helped_crime_especially_serious boolean,
    knowledge_basis text CHECK (knowledge_basis ~ '^[1-7](;[1-7])*$'),
    payment_cards_supplied bigint CHECK (payment_cards_supplied >= 0),
    phone_cards_supplied bigint CHECK (phone_cards_supplied >= 0),
    card_inflow_fen bigint CHECK (card_inflow_fen >= 0),
    card_fraud_verified_fen bigint CHECK (card_fraud_verified_fen >= 0),
    illegal_income_fen bigint CHECK (illegal_income_fen >= 0),
    admin_penalty_within_2y boolean,
    used_occupation boolean,
    surrendered boolean,
    confessed boolean,
    guilty_plea boolean,
    meritorious boolean,
    recidivist boolean,
    ringleader boolean,
    accessory boolean,
    restitution boolean,
    victim_forgiveness boolean,
    prior_record boolean,
    pregnant boolean,
    actual_kind text CHECK (actual_kind IN ('fixed_term', 'detention', 'surveillance', 'fine_only', 'exempt')),
    actual_months bigint CHECK (actual_months >= 0),
    actual_suspended boolean,
    actual_probation_months bigint CHECK (actual_probation_months >= 0),
    actual_fine_fen bigint CHECK (actual_fine_fen >= 0),
    actual_ban_years bigint CHECK (actual_ban_years >= 0),
    actual_injunction boolean,
    PRIMARY KEY (charge_id, act_no),
    CHECK (conviction_date IS NULL OR conviction_date >= offense_date),
    CHECK (defendant_kind = 'person' OR age_at_offense IS NULL)
);

CREATE TABLE sentencer.run (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    ended_at timestamptz,
    state text NOT NULL DEFAULT 'running'
        CHECK (state IN ('running', 'done', 'failed', 'interrupted')),
    host text NOT NULL,
    pid integer NOT NULL,
    rule_set text NOT NULL,
    workers integer NOT NULL DEFAULT 1 CHECK (workers >= 1),
    evaluated bigint NOT NULL DEFAULT 0 CHECK (evaluated >= 0),
    errors bigint NOT NULL DEFAULT 0 CHECK (errors >= 0),
    out_dir text,
    message text
);

CREATE TABLE sentencer.recommendation (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    charge_id bigint NOT NULL REFERENCES sentencer.charge (id),
    run_id bigint NOT NULL REFERENCES sentencer.run (id),
    facts_rev integer NOT NULL,
    is_current boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    superseded_at timestamptz,
    status text NOT NULL CHECK (status IN ('ok', 'error')),
    error text,
    threshold_met boolean,
    threshold_basis text,
    statutory_kinds text,
    statutory_max_months bigint CHECK (statutory_max_months >= 0),
    fine_rule text CHECK (fine_rule IN ('with_or_alone')),
    fine_min_fen bigint CHECK (fine_min_fen >= 0),
    recommended_kind text CHECK (recommended_kind IN ('fixed_term', 'detention', 'surveillance', 'fine_only', 'exempt')),
    recommended_months bigint CHECK (recommended_months >= 0),
    range_low_months bigint CHECK (range_low_months >= 0),
    range_high_months bigint CHECK (range_high_months >= 0),
    suspension_allowed boolean,
    recommended_suspended boolean,
    probation_min_months bigint CHECK (probation_min_months >= 0),
    probation_max_months bigint CHECK (probation_max_months >= 0),
    recommended_fine_fen bigint CHECK (recommended_fine_fen >= 0),
    ban_eligible boolean,
    ban_min_years bigint CHECK (ban_min_years >= 0),
    ban_max_years bigint CHECK (ban_max_years >= 0),
    ban_recommended_years bigint CHECK (ban_recommended_years >= 0),
    injunction_eligible boolean,
    review_flags text,
    citations text,
    rule_set text NOT NULL,
    trace jsonb,
    CHECK ((status = 'error') = (error IS NOT NULL)),
    CHECK (is_current = (superseded_at IS NULL))
);

-- At most one current recommendation per charge, whatever runs overlap.
CREATE UNIQUE INDEX recommendation_current ON sentencer.recommendation (charge_id)
    WHERE is_current;
CREATE INDEX recommendation_run ON sentencer.recommendation (run_id);

-- Cases a run could not evaluate, and why (they also get a status=error
-- recommendation, so that the same facts and rules are not retried).
CREATE TABLE sentencer.run_error (
    run_id bigint NOT NULL REFERENCES sentencer.run (id),
    charge_id bigint NOT NULL REFERENCES sentencer.charge (id),
    message text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX run_error_run ON sentencer.run_error (run_id);

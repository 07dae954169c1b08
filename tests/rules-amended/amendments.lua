--[[---------------------------------------------------------------------------
 amendments.lua
     NOT LAW. Two hypothetical amendments of the 2019 interpretation, with
     future dates, to test the law in time (tests/cli/law_amended.sh lists
     this file right after law.lua in a copy of lua-rules/):
       HYPO2031-STRICT   acts from 2031-01-01: the Art. 287-2 payment
                         settlement threshold (I2019:12.2) lowered to
                         100,000 yuan;
       HYPO2033-LENIENT  acts from 2033-01-01: raised to 400,000 yuan.
     A case whose act and trial fall under different versions is judged by
     the law at the act unless the law at trial is lighter (CL:12).

 tests/rules-amended/amendments.lua
-----------------------------------------------------------------------------]]

LAW.amend {
    id = "HYPO2031-STRICT", from = "2031-01-01",
    title = "hypothetical stricter amendment (test only)",
    patch = { helping = { payment = yuan(100000) } },
}

LAW.amend {
    id = "HYPO2033-LENIENT", from = "2033-01-01",
    title = "hypothetical more lenient amendment (test only)",
    patch = { helping = { payment = yuan(400000) } },
}

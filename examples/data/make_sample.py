#!/usr/bin/env python3
"""Writes examples/data/sample.jsonl: the bundled sample corpus of storyhash.

Every text here is invented for this project: ten fictional news events, each
with one wire report, syndicated copies derived from it (boilerplate-wrapped,
truncated, re-headlined, lightly edited) and independent rewrites by other
outlets that share names, places and numbers but not sentences. Events 1 and 2
are two different earthquakes, and events 6 and 11 two different fires: similar
events that must stay apart.

Fields: id, title, text, source, date, story (gold event), copy (gold copy group).
Run from the repository root: python3 examples/data/make_sample.py
"""
import json
import random

# (event, date, wire title, wire body, [(outlet, title, body), ...] independent rewrites)
EVENTS = [
    ("quake-port-elling", "2024-03-11",
     "Strong earthquake kills 23 in Port Elling",
     "A magnitude 6.4 earthquake struck the coastal town of Port Elling in southern Vessaria early on Monday, "
     "killing at least 23 people and injuring more than 140, the national emergency agency said. "
     "The quake hit at 4:12 a.m. at a depth of 11 kilometres, about 18 kilometres west of the town, according "
     "to the Vessarian Seismic Institute. Rescue teams were searching collapsed apartment blocks in the old "
     "harbour district through the morning. Mayor Tomas Reyl said 600 people had spent the night in the sports "
     "hall. \"We are still pulling families out of the rubble,\" Reyl told reporters. Three aftershocks above "
     "magnitude 4 followed within two hours. The government of Prime Minister Alina Varo declared a state of "
     "emergency for the province and sent 300 soldiers to help clear roads blocked by landslides.",
     [("Daily Meridian", "Port Elling counts its dead after dawn quake",
       "Residents of Port Elling woke to collapsing walls on Monday when a 6.4-magnitude tremor rolled in from the sea. "
       "By the afternoon officials had confirmed 23 deaths and over 140 injuries. Most of the damage was in the harbour "
       "district, where older apartment buildings gave way. Tomas Reyl, the town's mayor, opened the sports hall to about "
       "600 people whose homes were unsafe. Prime Minister Alina Varo declared a state of emergency and ordered 300 troops "
       "to the province, where landslides had cut the coast road."),
      ("Harbour Post", "Vessaria sends troops as quake toll reaches 23",
       "Vessaria's government put the province around Port Elling under a state of emergency after Monday's earthquake, "
       "which the seismic institute measured at 6.4. At least 23 people died. Alina Varo, the prime minister, dispatched "
       "300 soldiers to reopen roads. Several aftershocks of magnitude 4 or more unsettled survivors, and mayor Tomas Reyl "
       "said rescuers were still digging in the old harbour quarter.")]),
    ("quake-karsk", "2024-06-02",
     "Earthquake in Karsk valley leaves four dead",
     "A magnitude 5.9 earthquake shook the Karsk valley in northern Vessaria on Sunday afternoon, killing four people and "
     "damaging more than 200 farmhouses, regional authorities said. The tremor struck at 3:40 p.m. at a depth of 9 "
     "kilometres near the village of Dunmere, the Vessarian Seismic Institute reported. Two of the victims were killed when "
     "a church bell tower collapsed during a christening. Governor Ilse Marrow said 80 people were treated in hospital in "
     "Karsk City. Electricity was cut to 12,000 homes. \"The valley has not felt anything like this in fifty years,\" "
     "Marrow said. Engineers were inspecting the Karsk dam, which officials said showed no sign of damage.",
     [("Valley Times", "Bell tower collapse among Karsk quake deaths",
       "Four people died when Sunday's 5.9 tremor hit the Karsk valley, including two guests at a christening in Dunmere "
       "whose church bell tower fell. Governor Ilse Marrow said hospitals in Karsk City treated 80 patients and that some "
       "200 farmhouses were damaged. Power went out for 12,000 households. Inspectors checked the Karsk dam and reported it "
       "intact."),
      ("Evening Ledger", "Northern Vessaria shaken by 5.9 quake",
       "The strongest earthquake in half a century struck northern Vessaria on Sunday. The 5.9 shock, centred near Dunmere, "
       "left four dead in the Karsk valley. Ilse Marrow, the regional governor, said 12,000 homes lost electricity and that "
       "80 injured people were in hospital in Karsk City.")]),
    ("norland-rates", "2024-04-18",
     "Bank of Norland raises interest rate to 4.25%",
     "The Bank of Norland raised its main interest rate by a quarter point to 4.25% on Thursday, its third increase this "
     "year, as inflation stayed above 5% for an eighth month. Governor Piet Halvorsen said the bank was prepared to act "
     "again if price growth did not slow by the autumn. Seven of the nine members of the monetary committee voted for the "
     "rise; two preferred to hold the rate at 4%. The Norland krone rose 0.8% against the euro after the announcement. "
     "Mortgage lenders Fjordhus and Kestrel Bank said they would pass the increase on to variable-rate customers from May 1.",
     [("Daily Meridian", "Norland borrowers face higher costs after third rate rise",
       "Homeowners in Norland will pay more from May after the central bank lifted borrowing costs to 4.25%. The Bank of "
       "Norland acted for the third time in 2024, with inflation still over 5%. Piet Halvorsen, its governor, warned of "
       "further moves. The committee split seven to two. Fjordhus and Kestrel Bank confirmed higher variable rates from May 1, "
       "and the krone gained 0.8%."),
      ("Evening Ledger", "Halvorsen keeps door open to more increases",
       "Piet Halvorsen signalled on Thursday that the Bank of Norland's move to 4.25% may not be its last. Two of nine "
       "policymakers wanted no change, but the majority judged that inflation above 5% demanded action. The krone "
       "strengthened 0.8% against the euro.")]),
    ("cup-final", "2024-05-25",
     "Riverton United beat Ashford City 3-1 to win the Norland Cup",
     "Riverton United won the Norland Cup for the first time in 31 years on Saturday, beating Ashford City 3-1 in front of "
     "48,200 fans at the National Stadium. Striker Jonas Ekwall scored twice, in the 17th and 64th minutes, and captain Leo "
     "Marsh added a third from a free kick. Ashford's Davi Santoro pulled one back with a header in the 88th minute. "
     "Riverton manager Hanna Lind said the win was \"for everyone who waited three decades\". Ashford finished with ten "
     "men after defender Oskar Pell was sent off for a second yellow card.",
     [("Calder Courier", "Ekwall double ends Riverton's 31-year wait",
       "Jonas Ekwall scored in the 17th and 64th minutes as Riverton United lifted the Norland Cup, their first in 31 years. "
       "A Leo Marsh free kick made it 3-0 before Davi Santoro replied for Ashford City late on. Ashford had Oskar Pell sent "
       "off. Hanna Lind, Riverton's manager, dedicated the trophy to long-suffering supporters among the 48,200 crowd."),
      ("Harbour Post", "Ten-man Ashford beaten in cup final",
       "Ashford City's cup run ended at the National Stadium on Saturday with a 3-1 defeat by Riverton United. Oskar Pell's "
       "dismissal left them short-handed, and Santoro's 88th-minute header came too late. Ekwall scored two for Riverton and "
       "Marsh one.")]),
    ("calder-mayor", "2024-05-06",
     "Maria Okonjo elected mayor of Calder",
     "Maria Okonjo of the Green Alliance was elected mayor of Calder on Sunday, winning 52.3% of the vote in a run-off "
     "against incumbent Frederik Haas of the Civic Party, who took 47.7%. Turnout was 61%, up from 54% four years ago. "
     "Okonjo, a 44-year-old former transport engineer, campaigned on free bus travel for under-18s and a new tram line to "
     "the Westbank district. She will be the city's first mayor born outside Norland. Haas conceded shortly after midnight "
     "and congratulated Okonjo on \"a clear result\".",
     [("Calder Courier", "Okonjo wins run-off, promises Westbank tram",
       "Calder has a new mayor. Maria Okonjo took 52.3% in Sunday's run-off to unseat Frederik Haas, who polled 47.7%. The "
       "former engineer, 44, has pledged a Westbank tram line and free buses for young people. Turnout climbed to 61%. Haas "
       "admitted defeat after midnight."),
      ("Valley Times", "Civic Party loses Calder after a decade",
       "Frederik Haas's decade in charge of Calder is over. The Civic Party mayor lost Sunday's second round to the Green "
       "Alliance's Maria Okonjo, 47.7% to 52.3%, on a turnout of 61%. Okonjo becomes the first Calder mayor born abroad.")]),
    ("lanmore-fire", "2024-02-04",
     "Fire destroys historic Corran textile mill in Lanmore",
     "Firefighters battled a blaze at the old Corran textile mill in Lanmore for six hours on Sunday before bringing it "
     "under control, the county fire service said. No one was injured, but the five-storey brick building, built in 1874, "
     "was largely destroyed. About 90 firefighters and 18 engines attended at the height of the fire. Chief fire officer "
     "Ruth Delaney said the cause was not yet known and that investigators would enter the site once the walls had been "
     "made safe. Residents of 40 nearby homes were evacuated overnight as a precaution. The mill had been due to reopen "
     "in September as a museum and artists' studios.",
     [("Evening Ledger", "Lanmore's Corran mill gutted by blaze",
       "The 150-year-old Corran mill in Lanmore was reduced to a shell on Sunday. Crews from 18 engines, some 90 firefighters "
       "in all, fought the flames for six hours. Ruth Delaney, the county's chief fire officer, said it was too early to say "
       "what started the fire. Forty households were moved out overnight. Nobody was hurt. The building was to have become a "
       "museum this September.")]),
    ("quillon-layoffs", "2024-01-23",
     "Quillon Systems to cut 1,200 jobs",
     "Quillon Systems, the Calder-based maker of industrial control software, will cut 1,200 jobs, about 9% of its workforce, "
     "the company said on Tuesday, after a 14% fall in annual revenue to 2.1 billion krone. Chief executive Sanna Brekke said "
     "most of the cuts would fall in hardware testing and sales, and that the company would close its office in Ostvik. "
     "Quillon shares fell 6.2% in Calder trading. The Technical Workers Union said it would seek talks on redundancy terms "
     "and called the decision \"short-sighted\".",
     [("Daily Meridian", "Quillon to shed 9% of staff as revenue slides",
       "Sanna Brekke, chief executive of Quillon Systems, announced 1,200 redundancies on Tuesday and the closure of the "
       "Ostvik office. Revenue fell 14% to 2.1 billion krone last year. Investors sent the shares down 6.2%. The Technical "
       "Workers Union condemned the plan."),
      ("Calder Courier", "Union attacks 'short-sighted' Quillon cuts",
       "The Technical Workers Union is demanding talks with Quillon Systems over 1,200 job losses announced by the Calder "
       "software firm. Hardware testing and sales teams will bear the brunt, and the Ostvik site will shut, chief executive "
       "Sanna Brekke said.")]),
    ("tessaly-frog", "2024-07-09",
     "New species of glass frog found in Tessaly rainforest",
     "Biologists from the University of Calder have described a new species of glass frog from the cloud forests of the "
     "Tessaly highlands, they reported on Tuesday in the Journal of Tropical Herpetology. The frog, named Hyalinobatrachium "
     "tessalense, is about 22 millimetres long and has translucent skin on its belly through which its heart can be seen. "
     "Lead author Dr. Amara Quist said the team found only 14 individuals along two streams above 1,800 metres. \"It may "
     "already be endangered,\" Quist said, pointing to logging roads within 3 kilometres of the streams.",
     [("Harbour Post", "See-through frog discovered in Tessaly highlands",
       "A frog so transparent that its beating heart is visible has been identified in the Tessaly highlands. Amara Quist "
       "of the University of Calder and colleagues counted just 14 of the 22-millimetre animals near two mountain streams "
       "above 1,800 metres, and warn that nearby logging threatens them. The species, Hyalinobatrachium tessalense, is "
       "described in the Journal of Tropical Herpetology.")]),
    ("hollin-derailment", "2024-08-15",
     "Train derails near Hollin Junction, 40 injured",
     "A passenger train derailed near Hollin Junction on Thursday evening, injuring 40 people, six of them seriously, Norland "
     "Rail said. The 17:05 service from Calder to Ostvik was carrying about 310 passengers when four of its eight carriages "
     "left the track at 18:20 on a curve 2 kilometres south of the junction. Emergency services took the injured to "
     "hospitals in Hollin and Karsk City. Transport Minister Erik Sandvold said the Rail Accident Board had opened an "
     "investigation. The line between Calder and Ostvik will stay closed until at least Sunday.",
     [("Valley Times", "Four carriages leave the track on Calder-Ostvik line",
       "Forty passengers were hurt, six seriously, when the 17:05 from Calder came off the rails near Hollin Junction. Four "
       "of the eight carriages derailed on a curve. About 310 people were on board. Erik Sandvold, the transport minister, "
       "said accident investigators were on site, and Norland Rail closed the line until Sunday."),
      ("Evening Ledger", "Hollin derailment: investigation opened",
       "The Rail Accident Board is investigating Thursday's derailment near Hollin Junction, in which 40 people were injured. "
       "Patients were taken to hospitals in Hollin and Karsk City. Norland Rail said the Calder to Ostvik route would stay "
       "shut until at least Sunday.")]),
    ("fisheries-deal", "2024-09-30",
     "Norland and Vessaria sign ten-year fisheries agreement",
     "Norland and Vessaria signed a ten-year fisheries agreement in Port Elling on Monday, ending a dispute over cod quotas "
     "in the Grey Sea that had kept their fleets in port for three weeks. Under the deal, Vessarian boats may take 41% of "
     "the annual cod catch and Norland boats 59%, with quotas reviewed every two years by a joint scientific panel. Norland "
     "fisheries minister Karin Voss and her Vessarian counterpart Matteo Ruiz signed the text after talks that lasted 19 "
     "hours. \"Our fishermen can go back to sea tomorrow,\" Ruiz said.",
     [("Harbour Post", "Fleets to sail again after Grey Sea cod deal",
       "Fishing boats idle for three weeks will return to the Grey Sea after Norland and Vessaria agreed how to share the cod "
       "catch: 59% for Norland, 41% for Vessaria. Ministers Karin Voss and Matteo Ruiz signed the ten-year pact in Port Elling "
       "on Monday after 19 hours of negotiation. A joint scientific panel will revisit the quotas every two years.")]),
    ("ostvik-fire", "2024-10-12",
     "Fire at Ostvik warehouse forces evacuation of 60 homes",
     "A fire at a furniture warehouse in the port of Ostvik burned through Saturday night and forced the evacuation of 60 "
     "homes, the city fire service said. About 70 firefighters and 14 engines fought the blaze, which started shortly after "
     "23:00 in a storage hall owned by the Holm Trading Company. One firefighter was treated for smoke inhalation. Station "
     "commander Lars Berge said the roof had collapsed and that a crane would be needed before investigators could enter. "
     "Police closed the harbour road until Sunday afternoon.",
     [("Calder Courier", "Ostvik warehouse blaze: 60 households moved out",
       "Sixty homes near the port of Ostvik were emptied overnight as fire tore through a Holm Trading Company furniture "
       "warehouse. Lars Berge, the station commander, said 70 firefighters with 14 engines tackled flames that broke out just "
       "after 11 p.m. on Saturday. The roof fell in. A firefighter needed treatment for smoke, and the harbour road stayed "
       "shut into Sunday.")]),
]

WIRE = "Northern Wire"
OUTLETS = ["Daily Meridian", "Calder Courier", "Harbour Post", "Evening Ledger", "Valley Times"]
SWAPS = {"said": "says", "about": "around", "more than": "over", "on Monday": "on Monday morning",
         "officials": "authorities", "people": "residents"}


def wrap(r, outlet, title, body, date):
    """Boilerplate around a wire report, as a site would publish it."""
    head = f"By {WIRE} staff | {outlet} | Published {date}"
    foot = (f"Copyright {date[:4]} {WIRE}. All rights reserved. "
            f"Follow {outlet} for more news and subscribe to our daily newsletter.")
    return f"{head}\n\n{body}\n\n{foot}"


def truncate(body, share):
    sentences = body.split(". ")
    keep = max(3, round(len(sentences) * share))
    return ". ".join(sentences[:keep]).rstrip(".") + "."


def edit(r, body, n):
    """A few word-level changes, as a copy editor makes them."""
    keys = [k for k in SWAPS if k in body]
    r.shuffle(keys)
    for k in keys[:n]:
        body = body.replace(k, SWAPS[k], 1)
    return body


def main():
    r = random.Random(20240101)
    rows = []
    counter = {}

    def add(event, outlet, title, text, date, copy):
        counter[event] = counter.get(event, 0) + 1
        rid = f"{event}-{counter[event]:02d}"
        rows.append({"id": rid, "title": title, "text": f"{title}\n\n{text}", "source": outlet, "date": date,
                     "story": event, "copy": copy})
        return rid

    for event, date, title, body, rewrites in EVENTS:
        wire_id = add(event, WIRE, title, body, date, None)
        rows[-1]["copy"] = wire_id
        copies = r.sample(OUTLETS, 3)
        kinds = ["wrap", "truncate+retitle", "edit+wrap"][: r.choice([2, 3])]
        for outlet, kind in zip(copies, kinds):
            t, b = title, body
            if "truncate" in kind:
                b = truncate(b, 0.6)
            if "retitle" in kind:
                rest = title.split(" ", 2)[-1]
                t = f"{outlet}: {rest[:1].upper()}{rest[1:]}"
            if "edit" in kind:
                b = edit(r, b, 3)
            if "wrap" in kind:
                b = wrap(r, outlet, t, b, date)
            add(event, outlet, t, b, date, wire_id)
        for outlet, t, b in rewrites:
            rid = add(event, outlet, t, b, date, None)
            rows[-1]["copy"] = rid
    rows.sort(key=lambda x: x["id"])
    with open("examples/data/sample.jsonl", "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} articles, {len(EVENTS)} events, "
          f"{len({x['copy'] for x in rows})} copy groups")


if __name__ == "__main__":
    main()

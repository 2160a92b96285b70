"""The word lists and sentence templates of the synthetic corpus (:mod:`benchmarks.synthetic`)."""

SYLLABLES = ("val mor ka ren dil tha sor ve lin gar bro nes tal ith ur an del por qui ste ma ro "
             "fen wick hal bre ost cam lun dor sey ard vin tor esk mar bel ash cor rim").split()
FIRST_NAMES = ("Anna Boris Clara David Elena Farid Greta Hamid Irene Jonas Karim Lena Marco Nadia Omar "
               "Petra Rashid Sofia Tomas Ursula Viktor Wanda Yusuf Zara Amir Beatrix Conrad Dalia Emil "
               "Fatima Gustav Hana Ilse Jamal Katya Leon Mira Nils Olga Pavel Rosa Samir Tilde Vera").split()
TITLES = ["engineer", "director", "chairwoman", "chairman", "surveyor", "historian", "treasurer", "mayor",
          "inspector", "architect", "botanist", "captain"]
MONTHS = ("January February March April May June July August September October November December").split()
DIRECTIONS = ["northern", "southern", "eastern", "western", "upper", "lower", "old", "new"]
ADJECTIVES = ["modest", "ambitious", "costly", "long-delayed", "controversial", "popular", "temporary",
              "permanent", "experimental", "widely praised", "hastily planned", "carefully restored"]
QUALITIES = ["reliable", "overcrowded", "efficient", "expensive", "quiet", "busy", "fragile", "well kept",
             "poorly funded", "admired", "neglected", "crowded"]

# domain: (organisation, workers, landmark, things built or done, activities, the topic word for headings)
DOMAINS = {
    "harbour": ("Harbour Board", "dock workers", "breakwater", ["a grain terminal", "a lighthouse",
                "a dry dock", "a ferry pier", "a customs house"], ["dredged the channel", "unloaded timber ships",
                "repaired the sea wall"], "Harbour"),
    "farming": ("Grain Cooperative", "farmers", "irrigation canal", ["a seed bank", "a flour mill",
                "a storage barn", "an orchard school"], ["harvested barley", "rotated the wheat fields",
                "planted apple orchards"], "Farms"),
    "railway": ("Railway Company", "rail workers", "viaduct", ["a freight yard", "a signal box",
                "a branch line", "a locomotive shed"], ["laid new track", "electrified the main line",
                "ran night trains to the coast"], "Railway"),
    "mining": ("Mining Trust", "miners", "copper seam", ["a ventilation shaft", "an ore crusher",
               "a safety station", "a smelter"], ["extracted copper ore", "drained the flooded galleries",
               "closed the oldest pit"], "Mines"),
    "hospital": ("Hospital Trust", "nurses", "hilltop clinic", ["a maternity ward", "a vaccine store",
                 "a surgical wing", "a nursing school"], ["vaccinated the children of the valley",
                 "treated fever patients", "trained rural midwives"], "Hospital"),
    "university": ("University Senate", "lecturers", "library tower", ["a chemistry laboratory",
                   "a lecture hall", "a student hostel", "a botanical garden"], ["admitted the first women students",
                   "opened an evening school", "digitised the archive"], "University"),
    "festival": ("Festival Committee", "volunteers", "open-air stage", ["a music pavilion",
                 "a lantern parade", "a poetry prize", "a film week"], ["hosted travelling orchestras",
                 "sold out every concert", "moved the fair to the riverbank"], "Festival"),
    "football": ("Football Club", "players", "stadium", ["a youth academy", "a floodlit pitch",
                 "a supporters' hall", "a new grandstand"], ["won the regional cup",
                 "signed a goalkeeper from the coast", "toured the northern provinces"], "Football"),
    "river": ("River Commission", "boatmen", "flood barrier", ["a pumping station", "a fish ladder",
              "a stone embankment", "a water gauge"], ["measured the spring floods", "cleared the silted banks",
              "rebuilt the towpath"], "River"),
    "bridge": ("Bridge Authority", "steel workers", "suspension bridge", ["a toll plaza",
               "a pedestrian walkway", "a second deck", "a cable anchorage"], ["painted the steel towers",
               "replaced the rusted cables", "closed the bridge for repairs"], "Bridge"),
    "archive": ("City Archive", "archivists", "reading room", ["a map collection", "a microfilm vault",
                "a conservation workshop", "a public catalogue"], ["catalogued the parish records",
                "restored water-damaged ledgers", "published the census returns"], "Archive"),
    "textile": ("Textile Mill", "weavers", "dye works", ["a spinning hall", "a cotton warehouse",
                "a workers' canteen", "a steam engine house"], ["wove wool blankets for the army",
                "switched to synthetic fibres", "exported linen to the capital"], "Mill"),
    "observatory": ("Observatory Council", "astronomers", "great telescope", ["a radio dish",
                    "a planetarium", "a seismograph vault", "a weather station"], ["catalogued variable stars",
                    "photographed the comet", "timed the solar eclipse"], "Observatory"),
    "fishing": ("Fishermen's Guild", "fishermen", "fish market", ["a smokehouse", "an ice plant",
                "a net loft", "a boatyard"], ["landed record herring catches", "banned trawling in the bay",
                "repaired the fleet after the storm"], "Fisheries"),
    "forest": ("Forest Service", "rangers", "pine reserve", ["a fire lookout", "a tree nursery",
               "a logging road", "a wildlife shelter"], ["replanted the burned slopes",
               "counted the red deer", "fought the summer wildfires"], "Forest"),
    "council": ("Town Council", "clerks", "town hall", ["a market square", "a public bath",
                "a tram line", "a street lighting scheme"], ["raised the property tax",
                "held a referendum on the tram", "paved the central avenue"], "Council"),
    "museum": ("Museum Trust", "curators", "sculpture court", ["a natural history gallery",
               "a children's wing", "a coin cabinet", "a glass atrium"], ["acquired a bronze-age hoard",
               "returned stolen paintings", "doubled its visitor numbers"], "Museum"),
    "brewery": ("Brewers' Association", "brewers", "malt house", ["a bottling plant", "a hop garden",
                "a cooperage", "a tasting hall"], ["brewed a dark winter ale", "bought the old maltings",
                "exported beer by barge"], "Brewery"),
    "telegraph": ("Telegraph Office", "operators", "relay station", ["a cable landing", "a telephone exchange",
                  "a radio mast", "a switchboard room"], ["connected the island by cable",
                  "sent the first wireless message", "installed automatic exchanges"], "Telegraph"),
    "cycling": ("Cycling Union", "riders", "velodrome", ["a mountain stage", "a touring route",
                "a repair depot", "a race museum"], ["organised a six-day race", "won the mountain stage",
                "built a cycle path to the lake"], "Cycling"),
}

# (sentence template, question template or None, answer slot)
TEMPLATES = [
    ("In {year}, the {place} {org} opened {thing} near the {dir} {landmark}.",
     "When did the {place} {org} open {thing}?", "year"),
    ("{person}, the {title} of the {place} {org}, {activity} for {number} years.",
     "Who was the {title} of the {place} {org}?", "person"),
    ("By {month} {year}, the {place} {org} employed about {number} {workers}.",
     "How many {workers} did the {place} {org} employ in {year}?", "number"),
    ("The {adj} plan for {thing} in {place} cost {number} thousand crowns and took {small} years to finish.",
     "How much did the plan for {thing} in {place} cost?", "number"),
    ("Under {person}, the {workers} of {place} {activity} and {activity2}.",
     "Under whom did the {workers} of {place} {activity}?", "person"),
    ("The {dir} {landmark} of {place} was damaged in {year} and rebuilt by {person}.",
     "Who rebuilt the {dir} {landmark} of {place}?", "person"),
    ("Visitors described the {landmark} at {place} as {quality} and {quality2}.", None, None),
    ("Most of the {workers} came from {place2}, a town {small}0 kilometres to the {compass}.",
     "Where did most of the {workers} of {place} come from?", "place2"),
    ("Records kept by the {org} show that {number} people used {thing} in its first year.", None, None),
    ("Local newspapers in {place} reported the opening of {thing} on {day} {month} {year}.",
     "When did newspapers in {place} report the opening of {thing}?", "year"),
    ("The {org} of {place} {activity} after a long dispute with the {org2} of {place2}.", None, None),
    ("A {adj} proposal to close the {landmark} of {place} was rejected by {number} votes.",
     "By how many votes was the proposal to close the {landmark} of {place} rejected?", "number"),
]
COMPASS = ["north", "south", "east", "west", "north-east", "south-west"]

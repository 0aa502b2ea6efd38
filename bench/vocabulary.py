"""Word lists for the synthetic corpus: filler words and domain terms per language.

Domain terms are aligned across languages (one row per concept), so a
generated case study and its translation talk about the same things.
"""

from __future__ import annotations

LANGUAGES = ("en", "de", "fr", "pl", "nl", "es", "it")

# Share of case studies written in each language (the network is mostly
# German and English speaking).
LANGUAGE_WEIGHTS = {"en": 35, "de": 25, "fr": 8, "pl": 8, "nl": 8, "es": 8, "it": 8}

# One row per concept: en, de, fr, pl, nl, es, it.
DOMAIN = [
    ("hydrogen", "Wasserstoff", "hydrogène", "wodór", "waterstof", "hidrógeno", "idrogeno"),
    ("bus", "Bus", "bus", "autobus", "bus", "autobús", "autobus"),
    ("buses", "Busse", "bus", "autobusy", "bussen", "autobuses", "autobus"),
    ("depot", "Betriebshof", "dépôt", "zajezdnia", "remise", "cochera", "deposito"),
    ("fuel cell", "Brennstoffzelle", "pile à combustible", "ogniwo paliwowe", "brandstofcel",
     "pila de combustible", "cella a combustibile"),
    ("electrolysis", "Elektrolyse", "électrolyse", "elektroliza", "elektrolyse", "electrólisis",
     "elettrolisi"),
    ("climate", "Klima", "climat", "klimat", "klimaat", "clima", "clima"),
    ("climate adaptation", "Klimaanpassung", "adaptation climatique", "adaptacja do klimatu",
     "klimaatadaptatie", "adaptación climática", "adattamento climatico"),
    ("heat", "Hitze", "chaleur", "upał", "hitte", "calor", "caldo"),
    ("district heating", "Fernwärme", "chauffage urbain", "ciepło systemowe", "stadsverwarming",
     "calefacción urbana", "teleriscaldamento"),
    ("coal", "Kohle", "charbon", "węgiel", "kolen", "carbón", "carbone"),
    ("mine", "Zeche", "mine", "kopalnia", "mijn", "mina", "miniera"),
    ("steel", "Stahl", "acier", "stal", "staal", "acero", "acciaio"),
    ("structural change", "Strukturwandel", "mutation structurelle", "transformacja",
     "structuurverandering", "cambio estructural", "cambiamento strutturale"),
    ("brownfield", "Industriebrache", "friche industrielle", "teren poprzemysłowy",
     "braakliggend terrein", "terreno industrial", "area dismessa"),
    ("youth", "Jugend", "jeunesse", "młodzież", "jongeren", "juventud", "giovani"),
    ("exchange", "Austausch", "échange", "wymiana", "uitwisseling", "intercambio", "scambio"),
    ("theatre", "Theater", "théâtre", "teatr", "theater", "teatro", "teatro"),
    ("music", "Musik", "musique", "muzyka", "muziek", "música", "musica"),
    ("culture", "Kultur", "culture", "kultura", "cultuur", "cultura", "cultura"),
    ("school meals", "Schulessen", "cantine scolaire", "stołówka szkolna", "schoolmaaltijden",
     "comedor escolar", "mensa scolastica"),
    ("food", "Ernährung", "alimentation", "żywność", "voedsel", "alimentación", "cibo"),
    ("urban garden", "Stadtgarten", "jardin urbain", "ogród miejski", "stadstuin",
     "huerto urbano", "orto urbano"),
    ("democracy", "Demokratie", "démocratie", "demokracja", "democratie", "democracia",
     "democrazia"),
    ("participation", "Bürgerbeteiligung", "participation citoyenne", "partycypacja",
     "burgerparticipatie", "participación ciudadana", "partecipazione"),
    ("participatory budget", "Bürgerhaushalt", "budget participatif", "budżet obywatelski",
     "burgerbegroting", "presupuesto participativo", "bilancio partecipativo"),
    ("disinformation", "Desinformation", "désinformation", "dezinformacja", "desinformatie",
     "desinformación", "disinformazione"),
    ("housing", "Wohnungsbau", "logement", "mieszkalnictwo", "woningbouw", "vivienda", "alloggi"),
    ("affordable", "bezahlbar", "abordable", "przystępny", "betaalbaar", "asequible", "accessibile"),
    ("tram", "Straßenbahn", "tramway", "tramwaj", "tram", "tranvía", "tram"),
    ("cycling", "Radverkehr", "vélo", "rower", "fietsen", "bicicleta", "bicicletta"),
    ("public transport", "Nahverkehr", "transports publics", "transport publiczny",
     "openbaar vervoer", "transporte público", "trasporto pubblico"),
    ("solar", "Solar", "solaire", "słoneczny", "zonne", "solar", "solare"),
    ("retrofit", "Sanierung", "rénovation", "termomodernizacja", "renovatie", "rehabilitación",
     "riqualificazione"),
    ("trees", "Stadtbäume", "arbres", "drzewa", "bomen", "árboles", "alberi"),
    ("water", "Wasser", "eau", "woda", "water", "agua", "acqua"),
    ("flood", "Hochwasser", "inondation", "powódź", "overstroming", "inundación", "alluvione"),
    ("university", "Hochschule", "université", "uniwersytet", "universiteit", "universidad",
     "università"),
    ("innovation", "Innovation", "innovation", "innowacja", "innovatie", "innovación",
     "innovazione"),
    ("jobs", "Arbeitsplätze", "emplois", "miejsca pracy", "banen", "empleo", "lavoro"),
    ("migrants", "Zuwanderung", "migrants", "migranci", "migranten", "migrantes", "migranti"),
    ("integration", "Integration", "intégration", "integracja", "integratie", "integración",
     "integrazione"),
    ("circular economy", "Kreislaufwirtschaft", "économie circulaire", "gospodarka obiegu",
     "circulaire economie", "economía circular", "economia circolare"),
    ("waste", "Abfall", "déchets", "odpady", "afval", "residuos", "rifiuti"),
    ("smart city", "Smart City", "ville intelligente", "inteligentne miasto", "slimme stad",
     "ciudad inteligente", "città intelligente"),
    ("harbour", "Hafen", "port", "port", "haven", "puerto", "porto"),
    ("neighbourhood", "Quartier", "quartier", "dzielnica", "wijk", "barrio", "quartiere"),
    ("energy", "Energie", "énergie", "energia", "energie", "energía", "energia"),
    ("strategy", "Strategie", "stratégie", "strategia", "strategie", "estrategia", "strategia"),
    ("pilot", "Pilotprojekt", "projet pilote", "projekt pilotażowy", "proefproject",
     "proyecto piloto", "progetto pilota"),
]

# Common words of running text, roughly by frequency (earlier = more frequent).
FILLER = {
    "en": "the of and to in a for with on is was city by as from that this project "
          "we our it at be are were has have new plan local council partners residents "
          "years first more public after through into about which support years funding "
          "results lessons team network other between results second work area people "
          "community began three started programme experience process phase where needed "
          "costs learned including several during while towns region national began".split(),
    "de": "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine "
          "als auch es an wurde aus bei Stadt Projekt wir unsere nach wird Jahren neue "
          "Bürger Partner Förderung Ergebnisse Rat Verwaltung Region Quartier erste zwei "
          "drei seit über zwischen durch Erfahrungen Netzwerk Kosten Phase Jahr gemeinsam "
          "dabei beteiligt entwickelt umgesetzt Menschen Bereich zusammen begann".split(),
    "fr": "de la le et les des en un une du dans pour est que sur au par avec ville "
          "projet nous notre a été ans nouveaux habitants conseil partenaires résultats "
          "financement région quartier première deux trois depuis entre après expérience "
          "réseau coûts phase année ensemble personnes domaine plusieurs pendant".split(),
    "pl": "w i na z do się że jest nie o to od po miasto projekt nasz przez dla lat "
          "nowe mieszkańcy rada partnerzy wyniki finansowanie region dzielnica pierwszy "
          "dwa trzy od między doświadczenie sieć koszty etap rok razem ludzie obszar "
          "kilka podczas gdzie potrzebne rozpoczęto".split(),
    "nl": "de het een en van in is op te dat voor met zijn stad project we onze werd "
          "door jaar nieuwe bewoners raad partners resultaten financiering regio wijk "
          "eerste twee drie sinds tussen na ervaring netwerk kosten fase samen mensen "
          "gebied meerdere tijdens waar nodig begonnen".split(),
    "es": "de la que el en y los del se las por un para con una ciudad proyecto nuestro "
          "fue años nuevos vecinos consejo socios resultados financiación región barrio "
          "primera dos tres desde entre después experiencia red costes fase año juntos "
          "personas ámbito varios durante donde necesario comenzó".split(),
    "it": "di e il la che in un per è del una con non sono città progetto nostro stato "
          "anni nuovi abitanti consiglio partner risultati finanziamento regione quartiere "
          "prima due tre dal tra dopo esperienza rete costi fase anno insieme persone "
          "ambito diversi durante dove necessario iniziato".split(),
}

CITIES = [
    ("Dortmund", "DE"), ("Essen", "DE"), ("Bochum", "DE"), ("Gelsenkirchen", "DE"),
    ("Leipzig", "DE"), ("Duisburg", "DE"), ("Buffalo", "US"), ("Pittsburgh", "US"),
    ("Oklahoma City", "US"), ("Cleveland", "US"), ("Detroit", "US"), ("Lyon", "FR"),
    ("Lille", "FR"), ("Saint-Étienne", "FR"), ("Katowice", "PL"), ("Łódź", "PL"),
    ("Gdańsk", "PL"), ("Rotterdam", "NL"), ("Eindhoven", "NL"), ("Heerlen", "NL"),
    ("Bilbao", "ES"), ("Valencia", "ES"), ("Zaragoza", "ES"), ("Turin", "IT"),
    ("Genoa", "IT"), ("Taranto", "IT"), ("Amiens", "FR"), ("Newcastle", "GB"),
    ("Sheffield", "GB"), ("Ostrava", "CZ"),
]

# Where the case studies of each language mostly come from.
HOME_COUNTRIES = {"en": ("US", "GB"), "de": ("DE",), "fr": ("FR",), "pl": ("PL", "CZ"),
                  "nl": ("NL",), "es": ("ES",), "it": ("IT",)}

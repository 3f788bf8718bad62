//! Geographic facts the generator draws on, written down by hand as approximate WGS84
//! (longitude, latitude) waypoints: the Navigli and the rivers, the motorways, the main radial
//! roads (as sequences of comune slugs), neighbouring comuni of other provinces (used to carve
//! the outline), named parks and hospitals of Milano, and pools of Italian names.

/// A waterway: name, `tipo` (naviglio / fiume / canale), waypoints downstream.
pub(crate) struct Waterway {
    pub name: &'static str,
    pub tipo: &'static str,
    pub points: &'static [(f64, f64)],
}

/// The Navigli, the Villoresi and the main rivers.
pub(crate) static WATERWAYS: &[Waterway] = &[
    Waterway {
        name: "Naviglio Grande",
        tipo: "naviglio",
        points: &[
            (8.7080, 45.5820), // presa di Tornavento
            (8.7260, 45.5600),
            (8.7370, 45.5330), // Turbigo
            (8.7650, 45.5090),
            (8.7880, 45.4940), // Castelletto di Cuggiono
            (8.8120, 45.4760), // Bernate Ticino
            (8.8330, 45.4640), // Boffalora sopra Ticino
            (8.8560, 45.4540), // Ponte Vecchio di Magenta
            (8.8700, 45.4380), // Robecco sul Naviglio
            (8.9050, 45.4240), // Cassinetta di Lugagnano
            (8.9170, 45.4060), // Castelletto di Abbiategrasso
            (8.9500, 45.4050),
            (8.9900, 45.4030),
            (9.0300, 45.4040), // Gaggiano
            (9.0650, 45.4190), // Trezzano sul Naviglio
            (9.1000, 45.4310), // Corsico
            (9.1300, 45.4420),
            (9.1520, 45.4470), // San Cristoforo
            (9.1760, 45.4520), // Darsena
        ],
    },
    Waterway {
        name: "Naviglio Pavese",
        tipo: "naviglio",
        points: &[
            (9.1760, 45.4520), // Darsena
            (9.1700, 45.4300), // Conca Fallata
            (9.1600, 45.4050),
            (9.1500, 45.3850), // Ponte Sesto
            (9.1300, 45.3650),
            (9.1150, 45.3450),
            (9.1040, 45.3300), // Binasco
            (9.1000, 45.3130), // Casarile
            (9.1100, 45.2700),
            (9.1400, 45.2300), // Certosa di Pavia
            (9.1550, 45.1900), // Pavia
        ],
    },
    Waterway {
        name: "Naviglio della Martesana",
        tipo: "naviglio",
        points: &[
            (9.4950, 45.5980), // Concesa, Trezzo sull'Adda
            (9.5200, 45.5780), // Vaprio d'Adda
            (9.5050, 45.5470), // Groppello d'Adda
            (9.4800, 45.5410), // Inzago
            (9.4450, 45.5350),
            (9.4100, 45.5300), // Gorgonzola
            (9.3750, 45.5160), // Cassina de' Pecchi
            (9.3320, 45.5250), // Cernusco sul Naviglio
            (9.2870, 45.5150), // Vimodrone
            (9.2600, 45.5120), // Cascina Gobba
            (9.2450, 45.5050), // Crescenzago
            (9.2250, 45.5000), // Gorla
            (9.2050, 45.4940), // Cassina de' Pomm
            (9.1900, 45.4830), // Conca dell'Incoronata
        ],
    },
    Waterway {
        name: "Naviglio di Bereguardo",
        tipo: "naviglio",
        points: &[
            (8.9170, 45.4060), // Castelletto di Abbiategrasso
            (8.9200, 45.3850),
            (8.9250, 45.3650), // Ozzero
            (8.9550, 45.3500), // Morimondo
            (8.9680, 45.3100), // Besate
            (8.9900, 45.2900),
            (9.0250, 45.2580), // Bereguardo
        ],
    },
    Waterway {
        name: "Canale Villoresi",
        tipo: "canale",
        points: &[
            (8.7000, 45.6450), // Panperduto
            (8.7400, 45.5900),
            (8.7800, 45.5650),
            (8.8300, 45.5550),
            (8.8800, 45.5560),
            (8.9400, 45.5580),
            (8.9900, 45.5650),
            (9.0300, 45.5720),
            (9.0750, 45.5850),
            (9.1200, 45.5900),
            (9.1600, 45.5850),
            (9.2000, 45.5900),
            (9.2600, 45.5950), // Monza
            (9.3200, 45.5850),
            (9.3800, 45.5700),
            (9.4300, 45.5600),
            (9.4800, 45.5500),
            (9.5000, 45.5450), // Groppello d'Adda
        ],
    },
    Waterway {
        name: "Fiume Ticino",
        tipo: "fiume",
        points: &[
            (8.7000, 45.6300),
            (8.7050, 45.5900),
            (8.7110, 45.5500),
            (8.7250, 45.5150),
            (8.7550, 45.4900),
            (8.7800, 45.4700),
            (8.8000, 45.4500),
            (8.8250, 45.4250),
            (8.8500, 45.3950),
            (8.8700, 45.3600),
            (8.8900, 45.3350),
            (8.9300, 45.3050),
            (8.9700, 45.2800),
            (9.0200, 45.2450),
            (9.0700, 45.2150),
            (9.1400, 45.1850),
        ],
    },
    Waterway {
        name: "Fiume Adda",
        tipo: "fiume",
        points: &[
            (9.5100, 45.6500),
            (9.5150, 45.6200),
            (9.5300, 45.5950),
            (9.5350, 45.5700),
            (9.5250, 45.5450),
            (9.5200, 45.5200),
            (9.5150, 45.4900),
            (9.5050, 45.4600),
            (9.4950, 45.4300),
            (9.4950, 45.4000),
            (9.5000, 45.3600),
            (9.5050, 45.3200),
        ],
    },
    Waterway {
        name: "Fiume Olona",
        tipo: "fiume",
        points: &[
            (8.9000, 45.6200),
            (8.9100, 45.6000), // Legnano
            (8.9200, 45.5850),
            (8.9350, 45.5700),
            (8.9500, 45.5600), // Parabiago
            (8.9750, 45.5500), // Nerviano
            (9.0000, 45.5400),
            (9.0300, 45.5300), // Rho
            (9.0650, 45.5200),
            (9.0900, 45.5100), // Pero
            (9.1150, 45.4950),
            (9.1350, 45.4800),
            (9.1500, 45.4650),
        ],
    },
    Waterway {
        name: "Fiume Lambro",
        tipo: "fiume",
        points: &[
            (9.2750, 45.6300),
            (9.2700, 45.6000), // Monza
            (9.2650, 45.5700),
            (9.2600, 45.5400),
            (9.2550, 45.5150),
            (9.2500, 45.4950), // Parco Lambro
            (9.2550, 45.4700),
            (9.2600, 45.4450),
            (9.2650, 45.4200), // San Donato Milanese
            (9.2800, 45.4000),
            (9.3000, 45.3800),
            (9.3200, 45.3600), // Melegnano
            (9.3400, 45.3350), // Cerro al Lambro
            (9.3600, 45.3150),
            (9.3900, 45.2900),
            (9.4100, 45.2400), // Sant'Angelo Lodigiano
            (9.4500, 45.2050),
            (9.4900, 45.1850), // San Colombano al Lambro
            (9.5300, 45.1650),
        ],
    },
    Waterway {
        name: "Torrente Seveso",
        tipo: "fiume",
        points: &[
            (9.1500, 45.6300),
            (9.1600, 45.6000),
            (9.1700, 45.5750),
            (9.1800, 45.5550), // Cusano Milanino
            (9.1900, 45.5400), // Bresso
            (9.1900, 45.5200), // Niguarda
            (9.1920, 45.5000),
            (9.1950, 45.4850),
        ],
    },
];

/// A motorway: name and waypoints.
pub(crate) struct Motorway {
    pub name: &'static str,
    pub points: &'static [(f64, f64)],
}

/// Motorways and tangenziali crossing the area.
pub(crate) static MOTORWAYS: &[Motorway] = &[
    Motorway {
        name: "Autostrada A4 Torino-Trieste",
        points: &[
            (8.7600, 45.4850),
            (8.8100, 45.4800),
            (8.8700, 45.4870),
            (8.9400, 45.5000),
            (9.0000, 45.5150),
            (9.0500, 45.5150),
            (9.0800, 45.5100),
            (9.1200, 45.5050),
            (9.1500, 45.5180),
            (9.1900, 45.5250),
            (9.2300, 45.5320),
            (9.2600, 45.5380),
            (9.3000, 45.5600),
            (9.3500, 45.5750),
            (9.4200, 45.5850),
            (9.4700, 45.5950),
            (9.5300, 45.6000),
        ],
    },
    Motorway {
        name: "Autostrada A8 dei Laghi",
        points: &[
            (9.1300, 45.4950),
            (9.1000, 45.5200),
            (9.0700, 45.5400),
            (9.0300, 45.5600),
            (8.9800, 45.5800),
            (8.9300, 45.6000),
            (8.8900, 45.6300),
        ],
    },
    Motorway {
        name: "Autostrada A1 del Sole",
        points: &[(9.2650, 45.4200), (9.2850, 45.3950), (9.3100, 45.3700), (9.3400, 45.3450), (9.3800, 45.3200), (9.4300, 45.2800)],
    },
    Motorway {
        name: "Autostrada A7 Milano-Genova",
        points: &[(9.1550, 45.4300), (9.1450, 45.4000), (9.1350, 45.3700), (9.1300, 45.3400), (9.1200, 45.3000), (9.1000, 45.2500)],
    },
    Motorway {
        name: "Tangenziale Ovest A50",
        points: &[
            (9.0750, 45.5250),
            (9.0600, 45.5000),
            (9.0550, 45.4750),
            (9.0650, 45.4450),
            (9.0800, 45.4200),
            (9.1200, 45.4050),
            (9.1600, 45.3950),
            (9.2000, 45.3900),
            (9.2400, 45.4000),
            (9.2650, 45.4200),
        ],
    },
    Motorway {
        name: "Tangenziale Est A51",
        points: &[
            (9.2650, 45.4200),
            (9.2700, 45.4450),
            (9.2650, 45.4700),
            (9.2600, 45.4950),
            (9.2600, 45.5200),
            (9.2650, 45.5400),
            (9.2900, 45.5700),
            (9.3300, 45.6000),
            (9.3600, 45.6200),
        ],
    },
    Motorway {
        name: "Tangenziale Nord A52",
        points: &[(9.0750, 45.5250), (9.1100, 45.5450), (9.1500, 45.5650), (9.1900, 45.5700), (9.2300, 45.5650), (9.2650, 45.5600)],
    },
    Motorway {
        name: "Tangenziale Est Esterna A58",
        points: &[
            (9.3500, 45.5750),
            (9.3800, 45.5500),
            (9.4100, 45.5200),
            (9.4200, 45.4900),
            (9.4100, 45.4500),
            (9.3900, 45.4200),
            (9.3650, 45.3900),
            (9.3400, 45.3550),
        ],
    },
];

/// Radial state roads out of Milano, as the comuni they pass through (by slug).
pub(crate) static RADIALS: &[(&str, &[&str])] = &[
    ("SS33 del Sempione", &["milano", "pero", "rho", "pogliano-milanese", "nerviano", "parabiago", "canegrate", "legnano"]),
    (
        "SS11 Padana Superiore",
        &["milano", "settimo-milanese", "bareggio", "sedriano", "vittuone", "corbetta", "magenta", "boffalora-sopra-ticino"],
    ),
    ("SS11 Padana Superiore", &["milano", "segrate", "pioltello", "vignate", "melzo", "pozzuolo-martesana", "cassano-d-adda"]),
    ("SS35 dei Giovi", &["milano", "cormano", "paderno-dugnano"]),
    ("SS35 dei Giovi", &["milano", "rozzano", "zibido-san-giacomo", "binasco"]),
    ("SS36 del Lago di Como e dello Spluga", &["milano", "sesto-san-giovanni"]),
    ("SS9 Via Emilia", &["milano", "san-donato-milanese", "san-giuliano-milanese", "melegnano", "cerro-al-lambro"]),
    ("SS415 Paullese", &["milano", "peschiera-borromeo", "pantigliate", "paullo"]),
    ("SS412 della Val Tidone", &["milano", "opera", "locate-di-triulzi"]),
    ("SS494 Vigevanese", &["milano", "corsico", "trezzano-sul-naviglio", "gaggiano", "vermezzo-con-zelo", "abbiategrasso"]),
    ("SP ex SS233 Varesina", &["milano", "baranzate", "bollate", "garbagnate-milanese", "cesate", "solaro"]),
    ("SP ex SS527 Bustese", &["legnano", "villa-cortese", "busto-garolfo", "inveruno", "cuggiono", "turbigo"]),
    ("SP ex SS525 del Brembo", &["cernusco-sul-naviglio", "bussero", "gessate", "inzago", "cassano-d-adda"]),
];

/// Comuni of neighbouring provinces (Monza e Brianza, Varese, Lodi, Cremona, Pavia), as
/// (longitude, latitude, area km²): they take part in the partition and carve the outline
/// where the metropolitan city is concave, and their cells are discarded.
pub(crate) static NEIGHBOURS: &[(f64, f64, f64)] = &[
    (9.2744, 45.5845, 33.0), // Monza
    (9.3006, 45.5526, 10.3), // Brugherio
    (9.2283, 45.5894, 5.5),  // Muggiò
    (9.1990, 45.5870, 5.8),  // Nova Milanese
    (9.1586, 45.5971, 4.8),  // Varedo
    (9.1288, 45.5970, 12.3), // Limbiate
    (9.3500, 45.5760, 11.2), // Agrate Brianza
    (9.3773, 45.5668, 5.0),  // Caponago
    (9.4131, 45.5822, 4.4),  // Cavenago di Brianza
    (9.3347, 45.5893, 8.5),  // Concorezzo
    (9.4230, 45.6010, 5.8),  // Ornago
    (9.4525, 45.6034, 3.2),  // Roncello
    (9.4648, 45.6160, 5.8),  // Busnago
    (9.0156, 45.5970, 7.9),  // Origgio
    (9.0480, 45.5985, 8.6),  // Caronno Pertusella
    (9.0371, 45.6256, 11.0), // Saronno
    (8.8500, 45.6112, 30.7), // Busto Arsizio
    (8.8960, 45.6110, 6.9),  // Castellanza
    (8.7500, 45.5990, 29.0), // Lonate Pozzolo
    (9.3975, 45.3723, 15.6), // Mulazzano
    (9.4320, 45.4120, 18.8), // Zelo Buon Persico
    (9.4630, 45.4430, 12.8), // Comazzo
    (9.4280, 45.4335, 10.9), // Merlino
    (9.3700, 45.3536, 4.7),  // Casalmaiocco
    (9.4070, 45.3270, 16.0), // Tavazzano con Villavesco
    (9.5130, 45.4700, 30.0), // Rivolta d'Adda
    (9.4900, 45.4000, 19.9), // Spino d'Adda
    (9.1400, 45.2850, 24.7), // Giussago
    (9.0900, 45.2900, 9.5),  // Rognano
    (8.8570, 45.3170, 82.0), // Vigevano
];

/// The Duomo di Milano (centre of the ring roads).
pub(crate) const DUOMO: (f64, f64) = (9.1916, 45.4642);

/// Milano's ring roads: name and radius from the Duomo in metres.
pub(crate) static MILANO_RINGS: &[(&str, f64)] =
    &[("Cerchia dei Navigli", 850.0), ("Cerchia dei Bastioni", 1500.0), ("Circonvallazione esterna", 3000.0)];

/// Milano's radial corsi: name and bearing (degrees clockwise from north).
pub(crate) static MILANO_CORSI: &[(&str, f64)] = &[
    ("Corso Como", 350.0),
    ("Viale Monza", 40.0),
    ("Corso Buenos Aires", 55.0),
    ("Corso XXII Marzo", 100.0),
    ("Corso Lodi", 145.0),
    ("Corso di Porta Romana", 160.0),
    ("Corso San Gottardo", 195.0),
    ("Corso Genova", 230.0),
    ("Corso Vercelli", 265.0),
    ("Corso Magenta", 280.0),
    ("Corso Sempione", 305.0),
    ("Viale Certosa", 320.0),
];

/// Named parks of Milano: name, tipo, longitude, latitude, area in hectares.
pub(crate) static MILANO_PARKS: &[(&str, &str, f64, f64, f64)] = &[
    ("Parco Sempione", "parco storico", 9.1770, 45.4725, 38.6),
    ("Giardini Indro Montanelli", "parco storico", 9.2010, 45.4740, 17.0),
    ("Parco Nord Milano", "parco regionale", 9.2000, 45.5250, 120.0),
    ("Parco Forlanini", "parco urbano", 9.2480, 45.4640, 60.0),
    ("Parco delle Cave", "parco urbano", 9.0960, 45.4660, 130.0),
    ("Boscoincittà", "parco urbano", 9.0900, 45.4840, 110.0),
    ("Parco Lambro", "parco urbano", 9.2460, 45.5000, 77.0),
    ("Parco Ravizza", "giardino pubblico", 9.1970, 45.4470, 5.0),
    ("Parco Solari", "giardino pubblico", 9.1640, 45.4560, 4.0),
    ("Parco Trotter", "parco urbano", 9.2190, 45.4960, 12.0),
    ("Parco Monte Stella", "parco urbano", 9.1330, 45.4880, 37.0),
    ("Parco della Vettabbia", "parco agricolo", 9.2050, 45.4220, 40.0),
    ("Parco Agricolo del Ticinello", "parco agricolo", 9.1780, 45.4150, 80.0),
    ("Parco Alessandrini", "parco urbano", 9.1230, 45.4480, 12.0),
    ("Parco Vittorio Formentano", "giardino pubblico", 9.2130, 45.4600, 6.0),
];

/// Hospitals of Milano: name, longitude, latitude.
pub(crate) static MILANO_HOSPITALS: &[(&str, f64, f64)] = &[
    ("Ospedale Niguarda", 9.1860, 45.5105),
    ("Ospedale Maggiore Policlinico", 9.1960, 45.4590),
    ("Ospedale Luigi Sacco", 9.1240, 45.5210),
    ("Ospedale San Paolo", 9.1400, 45.4360),
    ("Ospedale San Carlo Borromeo", 9.1150, 45.4610),
    ("Ospedale Fatebenefratelli", 9.1920, 45.4760),
    ("Ospedale dei Bambini Vittore Buzzi", 9.1680, 45.4800),
];

/// Surnames, dates and places streets are named after.
pub(crate) static STREET_NAMES: &[&str] = &[
    "Roma",
    "Garibaldi",
    "Mazzini",
    "Cavour",
    "Dante",
    "Matteotti",
    "Verdi",
    "Manzoni",
    "IV Novembre",
    "XXV Aprile",
    "Marconi",
    "Gramsci",
    "Carducci",
    "Leopardi",
    "Volta",
    "Cesare Battisti",
    "Kennedy",
    "De Gasperi",
    "Puccini",
    "Pascoli",
    "Vittorio Veneto",
    "Milano",
    "Monte Grappa",
    "Piave",
    "San Francesco",
    "Papa Giovanni XXIII",
    "Trieste",
    "Trento",
    "Italia",
    "Europa",
    "della Repubblica",
    "della Libertà",
    "Don Minzoni",
    "Fratelli Rosselli",
    "Piemonte",
    "Lombardia",
    "Toscana",
    "Gorizia",
    "Udine",
    "Bellini",
    "Rossini",
    "Donizetti",
    "Vivaldi",
    "Mascagni",
    "Galilei",
    "Fermi",
    "Meucci",
    "Pertini",
    "Moro",
    "Falcone",
    "Borsellino",
    "Einaudi",
    "Turati",
    "Buozzi",
    "Filzi",
    "Sauro",
    "Oberdan",
    "Colombo",
    "Vespucci",
    "Cristoforo Colombo",
    "Leonardo da Vinci",
    "Michelangelo",
    "Raffaello",
    "Tiziano",
    "Giotto",
    "Petrarca",
    "Boccaccio",
    "Ariosto",
    "Foscolo",
    "Parini",
    "Beccaria",
    "Pellico",
    "Cantù",
    "Correnti",
    "Solferino",
    "Magenta",
    "Palestro",
    "Montebello",
    "Curtatone",
    "Custoza",
    "Adige",
    "Po",
    "Ticino",
    "Adda",
    "Lambro",
    "Olona",
    "dei Mille",
    "Cairoli",
    "Bixio",
    "Ugo Bassi",
    "Santa Maria",
    "San Giuseppe",
    "Sant'Ambrogio",
    "San Carlo",
    "San Rocco",
    "della Chiesa",
    "del Lavoro",
    "dell'Industria",
    "dei Tigli",
    "dei Platani",
    "delle Rose",
    "dei Gelsi",
    "dei Pioppi",
    "delle Betulle",
    "dei Mulini",
    "della Stazione",
    "del Cimitero",
    "per Milano",
    "Vecchia",
    "Nuova",
    "Manin",
    "Tommaseo",
    "Gioberti",
    "Rosmini",
    "Settembrini",
    "Pisacane",
    "Mameli",
    "Goldoni",
    "Alfieri",
    "Montale",
    "Ungaretti",
    "Quasimodo",
    "Pirandello",
    "Deledda",
    "Salvemini",
    "Di Vittorio",
    "Nenni",
    "Togliatti",
    "Sturzo",
    "Olivetti",
];

/// Prefixes of urban street names (main streets use the first two).
pub(crate) static MAIN_PREFIXES: &[&str] = &["Viale", "Corso"];

/// People schools and services are named after.
pub(crate) static PEOPLE: &[&str] = &[
    "Gianni Rodari",
    "Alessandro Manzoni",
    "Giuseppe Verdi",
    "Maria Montessori",
    "Don Lorenzo Milani",
    "Italo Calvino",
    "Leonardo da Vinci",
    "Giuseppe Garibaldi",
    "Anna Frank",
    "Cesare Battisti",
    "Giovanni Pascoli",
    "Edmondo De Amicis",
    "Ada Negri",
    "Carlo Collodi",
    "Dante Alighieri",
    "Ugo Foscolo",
    "Rita Levi-Montalcini",
    "Margherita Hack",
    "Sandro Pertini",
    "Aldo Moro",
    "Giovanni Falcone",
    "Paolo Borsellino",
    "Enrico Fermi",
    "Galileo Galilei",
    "Alessandro Volta",
    "Giuseppe Parini",
    "Cesare Beccaria",
    "Carlo Porta",
    "Giuseppe Mazzini",
    "Camillo Cavour",
    "Grazia Deledda",
    "Luigi Pirandello",
    "Eugenio Montale",
    "Giacomo Leopardi",
    "Madre Teresa",
    "Papa Giovanni XXIII",
    "Don Gnocchi",
    "Guglielmo Marconi",
    "Salvo D'Acquisto",
    "Primo Levi",
];

/// Names for nursery schools and day centres.
pub(crate) static NICE_NAMES: &[&str] = &[
    "Il Girasole",
    "L'Aquilone",
    "Arcobaleno",
    "Il Glicine",
    "La Coccinella",
    "Il Piccolo Principe",
    "Peter Pan",
    "Il Melograno",
    "Il Sorriso",
    "La Tartaruga",
    "Il Trenino",
    "Le Mongolfiere",
    "Il Bosco Incantato",
    "La Casa sull'Albero",
    "Primi Passi",
    "Il Faro",
    "La Rondine",
    "Il Ponte",
    "La Quercia",
    "Il Gabbiano",
];

/// Villa and foundation names for RSA and parks.
pub(crate) static VILLAS: &[&str] = &[
    "Villa Serena",
    "Villa dei Cedri",
    "Villa Arconati",
    "Villa Borromeo",
    "Villa Litta",
    "Villa Gaia",
    "Casa Famiglia San Giuseppe",
    "Residenza Le Magnolie",
    "Residenza Il Parco",
    "Casa di Riposo Santa Chiara",
    "Residenza San Carlo",
    "Villa Sormani",
    "Villa Trivulzio",
    "Residenza I Glicini",
    "Casa Albergo Don Gnocchi",
];

/// Social cooperatives and foundations (gestori).
pub(crate) static GESTORI: &[&str] = &[
    "Cooperativa sociale La Ringhiera",
    "Cooperativa sociale Il Mosaico",
    "Cooperativa sociale Spazio Aperto",
    "Cooperativa sociale Lotta contro l'Emarginazione",
    "Fondazione Sacra Famiglia",
    "Fondazione Don Carlo Gnocchi",
    "Fondazione Casa di Riposo Onlus",
    "Azienda Speciale Consortile",
    "Cooperativa sociale Comin",
    "Fondazione Mantovani Onlus",
];

/// Neighbourhoods of Milano, for branch libraries and schools.
pub(crate) static MILANO_QUARTIERI: &[&str] = &[
    "Sormani",
    "Baggio",
    "Calvairate",
    "Chiesa Rossa",
    "Cassina Anna",
    "Crescenzago",
    "Dergano-Bovisa",
    "Fra Cristoforo",
    "Gallaratese",
    "Harar",
    "Lorenteggio",
    "Niguarda",
    "Oglio",
    "Parco Sempione",
    "Quarto Oggiaro",
    "Sant'Ambrogio",
    "Tibaldi",
    "Valvassori Peroni",
    "Venezia",
    "Vigentina",
    "Zara",
    "Affori",
    "Accursio",
    "Gorla",
    "Isola",
];

/// The ASST (local health authority) serving a zona omogenea.
pub(crate) fn asst(zona_code: &str) -> &'static str {
    match zona_code {
        "MI" => "ASST Fatebenefratelli Sacco",
        "NM" => "ASST Nord Milano",
        "NO" => "ASST Rhodense",
        "AM" | "MA" => "ASST Ovest Milanese",
        "SO" => "ASST Santi Paolo e Carlo",
        _ => "ASST Melegnano e della Martesana",
    }
}

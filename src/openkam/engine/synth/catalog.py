"""The vocabulary of the demo supplier: industries, regions, product lines, cost pools, names.

The demo company, *Helvion Industrial Supplies*, sells industrial consumables (adhesives,
sealants, coatings, lubricants, filtration, cleaning, fasteners, packaging) to manufacturers
and distributors worldwide. Figures below are plausible orders of magnitude for such a
business, not data about a real company.
"""

from __future__ import annotations

from dataclasses import dataclass

SUPPLIER = "Helvion Industrial Supplies"
SUPPLIER_DOMAIN = "helvion.example"

INDUSTRIES = (
    "Automotive",
    "Food & Beverage",
    "Chemicals",
    "Construction",
    "Electronics",
    "Healthcare",
    "Retail",
    "Energy",
)
#: Relative frequency of each industry among the accounts.
INDUSTRY_WEIGHTS = (0.16, 0.15, 0.12, 0.14, 0.12, 0.10, 0.11, 0.10)

#: Nouns that make company names sound like the industry.
INDUSTRY_NOUNS = {
    "Automotive": (
        "Automotive",
        "Motors",
        "Autoparts",
        "Mobility",
        "Drive Systems",
        "Vehicle Components",
    ),
    "Food & Beverage": ("Foods", "Beverages", "Dairy", "Brewing", "Bakeries", "Nutrition"),
    "Chemicals": ("Chemicals", "Polymers", "Specialty Chemicals", "Resins", "Materials", "Chemie"),
    "Construction": (
        "Construction",
        "Building Systems",
        "Infrastructure",
        "Bau",
        "Contractors",
        "Structures",
    ),
    "Electronics": (
        "Electronics",
        "Semiconductors",
        "Devices",
        "Circuits",
        "Systems",
        "Technologies",
    ),
    "Healthcare": ("Medical", "Health", "Pharma", "Diagnostics", "Medtech", "Life Sciences"),
    "Retail": ("Retail", "Stores", "Markets", "Distribution", "Trading", "Wholesale"),
    "Energy": ("Energy", "Power", "Renewables", "Utilities", "Grid", "Oil & Gas"),
}

#: Coined company stems; combined with the industry nouns they give unique names.
NAME_STEMS = (
    "Aldent",
    "Arcona",
    "Baltex",
    "Berivo",
    "Brisca",
    "Calvera",
    "Cantel",
    "Corvin",
    "Daltro",
    "Delmar",
    "Dorvak",
    "Elbrus",
    "Emrys",
    "Falcor",
    "Fennix",
    "Galdor",
    "Gervais",
    "Halden",
    "Hestia",
    "Ibexa",
    "Ilmar",
    "Jandro",
    "Juvent",
    "Kessler",
    "Korbin",
    "Lanvik",
    "Loriot",
    "Maelis",
    "Marbeck",
    "Mendel",
    "Nordhav",
    "Novaris",
    "Oberon",
    "Orvelle",
    "Pallas",
    "Peregrin",
    "Quantis",
    "Quorra",
    "Ravello",
    "Rhenus",
    "Salvio",
    "Sentra",
    "Solvik",
    "Tamsin",
    "Tarvos",
    "Teknor",
    "Ulmer",
    "Umbria",
    "Valdor",
    "Vantor",
    "Verdant",
    "Westhaven",
    "Wexler",
    "Xandor",
    "Yarrow",
    "Zelos",
    "Zentra",
    "Altamir",
    "Borealis",
    "Cassini",
    "Dunmore",
    "Eastgate",
    "Fjordline",
    "Granite",
    "Harbor",
    "Ironbridge",
    "Kingsley",
    "Lakeside",
    "Meridian",
    "Northpoint",
    "Oakridge",
    "Pinecrest",
    "Redwood",
    "Silverline",
    "Stonefield",
    "Summit",
    "Thornbury",
    "Trident",
    "Vireo",
    "Whitmore",
    "Ashford",
    "Bellamy",
    "Crestwood",
    "Dovetail",
    "Everest",
    "Foxglove",
    "Glenmore",
    "Hawthorne",
    "Inverness",
    "Juniper",
    "Keystone",
    "Lindqvist",
    "Montclair",
    "Nautilus",
    "Orion",
    "Prisma",
    "Radiant",
    "Sakura",
    "Takumi",
    "Hoshino",
    "Mizuki",
    "Lotus",
    "Jade",
    "Tianrui",
    "Huaxin",
    "Indus",
    "Ganga",
    "Sahyadri",
    "Kaveri",
    "Andes",
    "Pampa",
    "Sierra",
    "Cedro",
    "Aurora",
    "Boreal",
)


@dataclass(frozen=True)
class Country:
    name: str
    region: str
    legal_form: str
    tld: str
    phone_prefix: str
    cities: tuple[str, ...]
    weight: float


COUNTRIES = (
    Country(
        "France",
        "EMEA",
        "SAS",
        "fr",
        "+33",
        ("Lyon", "Lille", "Toulouse", "Grenoble", "Nantes"),
        0.09,
    ),
    Country(
        "Germany",
        "EMEA",
        "GmbH",
        "de",
        "+49",
        ("Stuttgart", "Munich", "Cologne", "Leipzig", "Bremen"),
        0.13,
    ),
    Country(
        "United Kingdom",
        "EMEA",
        "Ltd",
        "co.uk",
        "+44",
        ("Birmingham", "Leeds", "Bristol", "Glasgow", "Derby"),
        0.07,
    ),
    Country(
        "Italy",
        "EMEA",
        "S.p.A.",
        "it",
        "+39",
        ("Milan", "Turin", "Bologna", "Brescia", "Verona"),
        0.06,
    ),
    Country(
        "Spain",
        "EMEA",
        "S.A.",
        "es",
        "+34",
        ("Barcelona", "Valencia", "Zaragoza", "Bilbao", "Seville"),
        0.05,
    ),
    Country(
        "Netherlands",
        "EMEA",
        "B.V.",
        "nl",
        "+31",
        ("Eindhoven", "Rotterdam", "Utrecht", "Venlo"),
        0.04,
    ),
    Country(
        "Poland", "EMEA", "Sp. z o.o.", "pl", "+48", ("Wroclaw", "Poznan", "Katowice", "Lodz"), 0.04
    ),
    Country(
        "Sweden", "EMEA", "AB", "se", "+46", ("Gothenburg", "Malmo", "Vasteras", "Uppsala"), 0.03
    ),
    Country(
        "United Arab Emirates", "EMEA", "LLC", "ae", "+971", ("Dubai", "Abu Dhabi", "Sharjah"), 0.02
    ),
    Country(
        "South Africa",
        "EMEA",
        "(Pty) Ltd",
        "co.za",
        "+27",
        ("Johannesburg", "Durban", "Cape Town"),
        0.02,
    ),
    Country(
        "United States",
        "Americas",
        "Inc.",
        "com",
        "+1",
        ("Detroit", "Houston", "Chicago", "Atlanta", "Phoenix", "Columbus"),
        0.17,
    ),
    Country(
        "Canada",
        "Americas",
        "Ltd",
        "ca",
        "+1",
        ("Toronto", "Montreal", "Calgary", "Hamilton"),
        0.03,
    ),
    Country(
        "Mexico",
        "Americas",
        "S.A. de C.V.",
        "mx",
        "+52",
        ("Monterrey", "Queretaro", "Puebla", "Saltillo"),
        0.04,
    ),
    Country(
        "Brazil",
        "Americas",
        "Ltda.",
        "com.br",
        "+55",
        ("Sao Paulo", "Curitiba", "Campinas", "Joinville"),
        0.04,
    ),
    Country(
        "China",
        "APAC",
        "Co., Ltd.",
        "cn",
        "+86",
        ("Suzhou", "Shenzhen", "Tianjin", "Ningbo", "Chongqing"),
        0.07,
    ),
    Country(
        "Japan", "APAC", "K.K.", "jp", "+81", ("Nagoya", "Osaka", "Yokohama", "Hamamatsu"), 0.04
    ),
    Country(
        "India",
        "APAC",
        "Pvt. Ltd.",
        "in",
        "+91",
        ("Pune", "Chennai", "Ahmedabad", "Bengaluru"),
        0.03,
    ),
    Country(
        "Australia",
        "APAC",
        "Pty Ltd",
        "com.au",
        "+61",
        ("Melbourne", "Brisbane", "Perth", "Adelaide"),
        0.02,
    ),
    Country("Singapore", "APAC", "Pte. Ltd.", "sg", "+65", ("Jurong", "Tuas", "Woodlands"), 0.01),
    Country(
        "South Korea", "APAC", "Co., Ltd.", "kr", "+82", ("Ulsan", "Incheon", "Changwon"), 0.01
    ),
)

#: Buying units at a customer; ``{city}`` is replaced by a city of the account's country.
BUSINESS_UNITS = (
    "Plant {city}",
    "Central Purchasing",
    "Maintenance",
    "R&D",
    "Plant {city} 2",
    "Central Warehouse",
    "Quality Lab",
    "Pilot Line",
    "Facilities",
    "Service Centre {city}",
)


@dataclass(frozen=True)
class ProductLine:
    code: str
    name: str
    #: Standard cost as a share of list price (a line's typical COGS ratio).
    cogs_ratio: float
    #: Number of products in the line.
    products: int
    #: Typical list price per unit in EUR (median of a lognormal).
    median_price: float
    #: Sold in bulk by the kilogram or litre (fractional quantities) rather than by the piece.
    bulk: bool
    #: Yearly list-price increase.
    price_increase: float


PRODUCT_LINES = (
    ProductLine("ADH", "Industrial Adhesives", 0.48, 44, 38.0, False, 0.035),
    ProductLine("SEA", "Sealants", 0.51, 34, 22.0, False, 0.030),
    ProductLine("COA", "Industrial Coatings", 0.56, 40, 14.0, True, 0.040),
    ProductLine("LUB", "Lubricants", 0.60, 36, 9.0, True, 0.045),
    ProductLine("CLN", "Cleaning & Hygiene", 0.53, 38, 11.0, False, 0.025),
    ProductLine("FIL", "Filtration", 0.46, 42, 65.0, False, 0.030),
    ProductLine("FAS", "Fasteners & Fixings", 0.64, 52, 0.85, False, 0.020),
    ProductLine("PKG", "Protective Packaging", 0.68, 30, 4.5, False, 0.020),
)

PRODUCT_FORMS = {
    "ADH": (
        "Epoxy Adhesive",
        "Cyanoacrylate",
        "Structural Acrylic",
        "Hot Melt",
        "PU Adhesive",
        "Threadlocker",
    ),
    "SEA": ("Silicone Sealant", "PU Sealant", "Gasket Maker", "Butyl Tape", "Hybrid Sealant"),
    "COA": ("Primer", "Epoxy Coating", "Powder Coat", "Anti-Corrosion Paint", "Floor Coating"),
    "LUB": ("Gear Oil", "Hydraulic Fluid", "Food-Grade Grease", "Chain Lubricant", "Cutting Fluid"),
    "CLN": ("Degreaser", "Hand Cleaner", "CIP Detergent", "Surface Disinfectant", "Wipes"),
    "FIL": ("Air Filter", "Hydraulic Filter", "Bag Filter", "Cartridge Filter", "HEPA Filter"),
    "FAS": ("Hex Bolt", "Self-Tapping Screw", "Rivet", "Anchor", "Washer", "Threaded Insert"),
    "PKG": ("Stretch Film", "Foam Insert", "Corrugated Box", "Edge Protector", "VCI Bag"),
}

#: Affinity of each industry (rows, in INDUSTRIES order) for each product line (columns, in
#: PRODUCT_LINES order): the Dirichlet concentration of an account's product-line mix.
LINE_AFFINITY = (
    (3.0, 2.5, 2.0, 1.5, 0.5, 1.0, 3.0, 0.6),  # automotive
    (0.4, 0.8, 0.3, 2.0, 3.0, 1.5, 0.3, 2.5),  # food & beverage
    (0.8, 1.2, 2.0, 1.8, 1.0, 2.5, 0.6, 0.8),  # chemicals
    (2.0, 3.0, 2.5, 0.8, 0.6, 0.5, 3.0, 0.6),  # construction
    (2.5, 1.0, 1.5, 0.5, 1.5, 1.0, 1.5, 2.0),  # electronics
    (1.2, 0.6, 0.3, 0.4, 3.0, 2.5, 0.5, 1.8),  # healthcare
    (0.5, 0.8, 0.5, 0.3, 2.0, 0.3, 1.0, 3.0),  # retail
    (0.8, 1.5, 2.5, 3.0, 0.6, 2.5, 1.5, 0.3),  # energy
)


@dataclass(frozen=True)
class Pool:
    name: str
    driver_unit: str
    #: Cost per driver unit at practical capacity (EUR, first year).
    rate: float
    #: Driven by time (visits, hours) rather than by orders: its rate scales with the
    #: ledger's order density so that cost-to-serve stays a stable share of revenue. Not
    #: dedicated stock: its pallets already grow with the account's sales.
    per_time: bool


POOLS = (
    Pool("order_handling", "order line", 6.5, False),
    Pool("delivery", "delivery", 85.0, False),
    Pool("expedited_delivery", "delivery", 290.0, False),
    Pool("returns_handling", "return line", 32.0, False),
    Pool("customer_service", "ticket", 45.0, False),
    Pool("technical_support", "hour", 105.0, False),
    Pool("sales_visits", "visit", 640.0, True),
    Pool("kam_time", "hour", 95.0, True),
    Pool("special_packaging", "order", 48.0, False),
    # Carrying cost of a pallet (ledger.PALLET_VALUE, 3,000 EUR invoiced, ~2,300 at cost):
    # holding costs are quoted at 20-40 % of the stock's value a year (capital, space,
    # handling, insurance, obsolescence; APICS dictionary). At the calibrated cost level
    # (~2.5-3, pools.calibrate_level) 18 EUR becomes ~50 EUR a month, ~25 % a year at cost.
    Pool("dedicated_stock", "pallet-month", 18.0, False),
)
POOL_INDEX = {p.name: i for i, p in enumerate(POOLS)}

#: Contacts at a customer, most important first; each position reports to an earlier one
#: (index into this tuple, None for the top), so any prefix is a valid org tree.
CONTACT_POSITIONS = (
    ("Chief Executive Officer", None),
    ("Head of Procurement", 0),
    ("Buyer", 1),
    ("Chief Financial Officer", 0),
    ("Chief Operating Officer", 0),
    ("Plant Manager", 4),
    ("Quality Manager", 5),
    ("Senior Buyer", 1),
    ("Supply Chain Manager", 4),
    ("Chief Technology Officer", 0),
    ("R&D Manager", 9),
    ("Accounts Payable Manager", 3),
    ("Category Manager", 1),
    ("Maintenance Manager", 5),
    ("Process Engineer", 10),
    ("Buyer", 12),
    ("Logistics Coordinator", 8),
    ("Controller", 3),
    ("Sustainability Manager", 0),
    ("Production Supervisor", 5),
    ("Application Engineer", 10),
    ("Purchasing Assistant", 1),
)

BUYING_ROLES = {
    "Chief Executive Officer": "decision maker",
    "Chief Financial Officer": "decision maker",
    "Chief Operating Officer": "decision maker",
    "Chief Technology Officer": "influencer",
    "Head of Procurement": "decision maker",
    "Category Manager": "buyer",
    "Senior Buyer": "buyer",
    "Buyer": "buyer",
    "Purchasing Assistant": "gatekeeper",
    "Accounts Payable Manager": "gatekeeper",
    "Controller": "influencer",
    "Logistics Coordinator": "user",
    "Production Supervisor": "user",
    "Maintenance Manager": "user",
}

FIRST_NAMES = {
    "EMEA": (
        "Anna",
        "Lukas",
        "Sophie",
        "Thomas",
        "Camille",
        "Julien",
        "Giulia",
        "Marco",
        "Lucia",
        "Javier",
        "Emma",
        "Lars",
        "Ingrid",
        "Piotr",
        "Agnieszka",
        "Oliver",
        "Charlotte",
        "Hannah",
        "Felix",
        "Mathilde",
        "Pieter",
        "Sanne",
        "Omar",
        "Layla",
        "Thabo",
        "Naledi",
    ),
    "Americas": (
        "James",
        "Mary",
        "Robert",
        "Jennifer",
        "Michael",
        "Linda",
        "David",
        "Emily",
        "Carlos",
        "Mariana",
        "Jose",
        "Ana",
        "Luis",
        "Gabriela",
        "Daniel",
        "Sarah",
        "Kevin",
        "Ashley",
        "Lucas",
        "Beatriz",
        "Ethan",
        "Olivia",
        "Noah",
        "Chloe",
    ),
    "APAC": (
        "Wei",
        "Li",
        "Hiroshi",
        "Yuki",
        "Kenji",
        "Aiko",
        "Priya",
        "Rahul",
        "Ananya",
        "Arjun",
        "Min-jun",
        "Ji-woo",
        "Mei",
        "Jun",
        "Haruto",
        "Sakura",
        "Vikram",
        "Deepa",
        "Jack",
        "Chloe",
        "Ryan",
        "Grace",
        "Siew Ling",
        "Wen",
    ),
}
LAST_NAMES = {
    "EMEA": (
        "Muller",
        "Schmidt",
        "Dubois",
        "Martin",
        "Rossi",
        "Bianchi",
        "Garcia",
        "Lopez",
        "Smith",
        "Jones",
        "de Vries",
        "Jansen",
        "Kowalski",
        "Nowak",
        "Andersson",
        "Lindberg",
        "Fischer",
        "Weber",
        "Moreau",
        "Laurent",
        "Ferrari",
        "Romano",
        "Haddad",
        "Nkosi",
        "Botha",
        "Clarke",
    ),
    "Americas": (
        "Johnson",
        "Williams",
        "Brown",
        "Miller",
        "Davis",
        "Wilson",
        "Anderson",
        "Taylor",
        "Hernandez",
        "Gonzalez",
        "Silva",
        "Santos",
        "Oliveira",
        "Ramirez",
        "Torres",
        "Martinez",
        "Thompson",
        "Moore",
        "Tremblay",
        "Roy",
        "Campbell",
        "Walker",
        "Young",
        "Allen",
    ),
    "APAC": (
        "Wang",
        "Zhang",
        "Chen",
        "Liu",
        "Tanaka",
        "Suzuki",
        "Sato",
        "Watanabe",
        "Sharma",
        "Patel",
        "Gupta",
        "Iyer",
        "Kim",
        "Lee",
        "Park",
        "Choi",
        "Nguyen",
        "Tan",
        "Lim",
        "Wong",
        "Smith",
        "Taylor",
        "Singh",
        "Nakamura",
    ),
}

#: Our own people. Executives are candidate sponsors; functional roles form account teams.
EXECUTIVE_TITLES = (
    "Chief Executive Officer",
    "Chief Operating Officer",
    "Chief Financial Officer",
    "Chief Commercial Officer",
    "Chief Technology Officer",
    "VP Sales EMEA",
    "VP Sales Americas",
    "VP Sales APAC",
    "VP Operations",
    "VP Supply Chain",
    "VP Marketing",
    "VP Engineering",
    "VP Quality",
    "VP Strategy",
    "VP Customer Experience",
    "General Manager Adhesives & Sealants",
    "General Manager Coatings",
    "General Manager Filtration",
)
FUNCTIONAL_ROLES = (
    ("operations", "Operations Planner"),
    ("supply_chain", "Supply Chain Analyst"),
    ("finance", "Commercial Finance Analyst"),
    ("customer_service", "Customer Service Lead"),
)

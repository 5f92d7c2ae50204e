"""Made-up name pools for synthetic homes (English and Chinese), split into train and held-out parts.

Every pool is cut by position (every fourth item held out), so held-out homes use area names,
device names, timer names and list items the adapter never saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def split(items: Sequence[T], part: str) -> list[T]:
    """``heldout``: items at positions 3 mod 4 (the last one of a shorter list); ``train``: the rest."""
    def held(i: int) -> bool:
        return i % 4 == 3 or (len(items) < 4 and i == len(items) - 1)

    return [x for i, x in enumerate(items) if held(i) == (part == "heldout")]


AREAS = {
    "en": [
        ("Kitchen", ()), ("Living Room", ("lounge",)), ("Bedroom", ()), ("Dining Room", ()),
        ("Office", ("study",)), ("Bathroom", ("washroom",)), ("Garage", ()), ("Hallway", ("hall",)),
        ("Guest Room", ()), ("Basement", ()), ("Nursery", ("baby room",)), ("Laundry Room", ()),
        ("Den", ()), ("Porch", ()), ("Master Bedroom", ("main bedroom",)), ("Attic", ()),
        ("Kids Room", ()), ("Patio", ()), ("Library", ()), ("Family Room", ()), ("Garden", ("yard",)),
        ("Gym", ()), ("Playroom", ()), ("Sunroom", ()), ("Loft", ()), ("Pantry", ()),
        ("Workshop", ()), ("Media Room", ("cinema",)), ("Entryway", ()), ("Balcony", ()),
        ("Studio", ()), ("Mudroom", ()),
    ],
    "zh": [
        ("客厅", ()), ("卧室", ()), ("厨房", ()), ("书房", ()), ("主卧", ("主卧室",)), ("卫生间", ("厕所",)),
        ("餐厅", ()), ("阳台", ()), ("次卧", ()), ("车库", ()), ("走廊", ()), ("儿童房", ()),
        ("玄关", ()), ("客房", ()), ("浴室", ()), ("地下室", ()), ("阁楼", ()), ("洗衣房", ()),
        ("花园", ()), ("健身房", ()), ("衣帽间", ()), ("储藏室", ()), ("茶室", ()), ("影音室", ()),
    ],
}

FLOORS = {
    "en": ["Ground floor", "First floor", "Upstairs", "Downstairs", "Second floor", "Main floor",
           "Top floor", "Lower level"],
    "zh": ["一楼", "二楼", "楼上", "楼下", "三楼", "地下一层", "顶楼", "负一楼"],
}

# domain -> list of (generic device name, device_class or "", aliases)
DEVICES = {
    "en": {
        "light": [("Light", "", ()), ("Ceiling Light", "", ("big light", "main light")),
                  ("Lamp", "", ()), ("Desk Lamp", "", ()), ("Floor Lamp", "", ()),
                  ("Bedside Lamp", "", ("night stand lamp",)), ("Strip Lights", "", ("led strip",)),
                  ("Pendant Light", "", ()), ("Spotlights", "", ()), ("Chandelier", "", ()),
                  ("Night Light", "", ()), ("Wall Sconce", "", ()), ("Reading Lamp", "", ()),
                  ("Track Lights", "", ()), ("String Lights", "", ("fairy lights",)),
                  ("Vanity Light", "", ()), ("Cabinet Lights", "", ()), ("Globe Lamp", "", ()),
                  ("Accent Light", "", ()), ("Lantern", "", ())],
        "switch": [("Coffee Maker", "", ("coffee machine",)), ("Kettle", "", ()),
                   ("Space Heater", "", ()), ("Dehumidifier", "", ()), ("Printer", "", ()),
                   ("Christmas Tree", "", ()), ("Electric Blanket", "", ()), ("Fountain", "", ()),
                   ("Humidifier", "", ()), ("Towel Warmer", "", ()), ("Sprinkler", "", ()),
                   ("Air Purifier", "", ()), ("Water Heater", "", ()), ("Monitor", "", ()),
                   ("Aquarium Pump", "", ("fish tank",)), ("Smart Plug", "", ())],
        "fan": [("Fan", "", ()), ("Ceiling Fan", "", ()), ("Tower Fan", "", ()), ("Desk Fan", "", ()),
                ("Exhaust Fan", "", ("extractor",)), ("Box Fan", "", ()), ("Attic Fan", "", ()),
                ("Pedestal Fan", "", ())],
        "cover": [("Blinds", "blind", ("shades",)), ("Curtains", "curtain", ("drapes",)),
                  ("Shutters", "shutter", ()), ("Garage Door", "garage", ()),
                  ("Roller Blind", "blind", ()), ("Skylight", "window", ()), ("Awning", "awning", ()),
                  ("Gate", "gate", ()), ("Shades", "shade", ()), ("Window", "window", ()),
                  ("Drapes", "curtain", ()), ("Driveway Gate", "gate", ())],
        "media_player": [("TV", "", ("television",)), ("Speaker", "", ()), ("Soundbar", "", ()),
                         ("Stereo", "", ()), ("Smart Display", "", ()), ("Radio", "", ()),
                         ("Projector", "", ()), ("Jukebox", "", ()), ("Television", "", ("telly",)),
                         ("Sonos", "", ()), ("Record Player", "", ()), ("Echo", "", ())],
        "lock": [("Front Door", "", ("front door lock",)), ("Back Door", "", ()),
                 ("Side Door", "", ()), ("Deadbolt", "", ()), ("Patio Door", "", ()),
                 ("Shed Lock", "", ()), ("Garage Entry", "", ()), ("Gate Lock", "", ())],
        "vacuum": [("Robot Vacuum", "", ("roomba",)), ("Vacuum", "", ()), ("Dusty", "", ()),
                   ("Mop Robot", "", ()), ("Robo", "", ()), ("Sweeper", "", ()), ("Mopper", "", ()),
                   ("Rover", "", ())],
        "climate": [("Thermostat", "", ("heating",)), ("Heater", "", ()), ("Air Conditioner", "", ("AC",)),
                    ("Heat Pump", "", ()), ("Radiator", "", ()), ("Underfloor Heating", "", ()),
                    ("Mini Split", "", ()), ("Boiler", "", ())],
        "sensor": [("Temperature Sensor", "", ()), ("Outdoor Temperature", "", ()),
                   ("Thermometer", "", ()), ("Climate Sensor", "", ())],
        "binary_sensor": [("Window Sensor", "window", ()), ("Door Sensor", "door", ()),
                          ("Motion Sensor", "motion", ()), ("Leak Sensor", "moisture", ())],
        "weather": [("Home", "", ("forecast",)), ("Forecast", "", ()), ("Weather", "", ()),
                    ("Riverside", "", ()), ("Met Office", "", ()), ("Cabin", "", ()),
                    ("Local Weather", "", ()), ("Lakeside", "", ())],
        "todo": [("Home Projects", "", ()), ("To-do List", "", ("todo",)), ("Groceries", "", ()),
                 ("Chores", "", ()), ("Hardware Store", "", ()), ("Packing List", "", ()),
                 ("Gift Ideas", "", ()), ("Pharmacy", "", ())],
    },
    "zh": {
        "light": [("灯", "", ()), ("吸顶灯", "", ("大灯",)), ("台灯", "", ()), ("落地灯", "", ()),
                  ("床头灯", "", ()), ("灯带", "", ()), ("吊灯", "", ()), ("射灯", "", ()),
                  ("夜灯", "", ()), ("壁灯", "", ()), ("筒灯", "", ()), ("阅读灯", "", ()),
                  ("氛围灯", "", ()), ("镜前灯", "", ()), ("主灯", "", ()), ("小夜灯", "", ())],
        "switch": [("咖啡机", "", ()), ("热水壶", "", ()), ("电热毯", "", ()), ("加湿器", "", ()),
                   ("除湿机", "", ()), ("空气净化器", "", ("净化器",)), ("热水器", "", ()),
                   ("饮水机", "", ()), ("鱼缸", "", ()), ("插座", "", ()), ("电暖器", "", ()),
                   ("圣诞树", "", ())],
        "fan": [("风扇", "", ()), ("吊扇", "", ()), ("落地扇", "", ()), ("排气扇", "", ()),
                ("换气扇", "", ()), ("塔扇", "", ()), ("台扇", "", ()), ("循环扇", "", ())],
        "cover": [("窗帘", "curtain", ()), ("百叶窗", "blind", ()), ("卷帘", "shade", ()),
                  ("车库门", "garage", ()), ("纱帘", "curtain", ()), ("天窗", "window", ()),
                  ("遮阳篷", "awning", ()), ("大门", "gate", ()), ("遮光帘", "curtain", ()),
                  ("电动窗", "window", ()), ("庭院门", "gate", ()), ("卷帘门", "garage", ())],
        "media_player": [("电视", "", ("电视机",)), ("音箱", "", ()), ("音响", "", ()),
                         ("投影仪", "", ()), ("收音机", "", ()), ("智能屏", "", ()),
                         ("小爱音箱", "", ()), ("回音壁", "", ())],
        "lock": [("门锁", "", ()), ("前门", "", ()), ("后门", "", ()), ("侧门", "", ()),
                 ("入户门", "", ()), ("智能锁", "", ()), ("院门锁", "", ()), ("车库锁", "", ())],
        "vacuum": [("扫地机器人", "", ("扫地机",)), ("吸尘器", "", ()), ("拖地机", "", ()),
                   ("小白", "", ()), ("扫拖机器人", "", ()), ("石头", "", ()), ("小米扫地机", "", ()),
                   ("小黑", "", ())],
        "climate": [("空调", "", ()), ("地暖", "", ()), ("暖气", "", ()), ("温控器", "", ()),
                    ("中央空调", "", ()), ("新风", "", ()), ("壁挂炉", "", ()), ("挂机", "", ())],
        "sensor": [("温度计", "", ()), ("温度传感器", "", ()), ("室外温度", "", ()), ("温湿度计", "", ())],
        "binary_sensor": [("门磁", "door", ()), ("窗磁", "window", ()), ("人体传感器", "motion", ()),
                          ("水浸传感器", "moisture", ())],
        "weather": [("天气", "", ()), ("家", "", ()), ("预报", "", ()), ("老家", "", ()),
                    ("上海", "", ()), ("北京", "", ()), ("公司", "", ()), ("杭州", "", ())],
        "todo": [("装修清单", "", ()), ("待办事项", "", ("待办",)), ("家务清单", "", ()),
                 ("采购清单", "", ()), ("备忘录", "", ()), ("旅行清单", "", ()), ("药店", "", ()),
                 ("礼物清单", "", ())],
    },
}

TIMER_NAMES = {
    "en": ["pasta", "eggs", "laundry", "tea", "pizza", "bread", "rice", "cookies", "oven", "homework",
           "nap", "parking", "workout", "steak", "potatoes", "meditation", "cake", "chicken", "soup",
           "reading", "bath", "roast", "popcorn", "break"],
    "zh": ["煮面", "鸡蛋", "洗衣", "泡茶", "米饭", "烤箱", "午睡", "运动", "面包", "饺子", "炖汤", "蒸鱼",
           "作业", "洗澡", "烤鸡", "休息"],
}

ITEMS = {
    "en": ["milk", "eggs", "bread", "apples", "coffee beans", "toilet paper", "dish soap", "bananas",
           "olive oil", "batteries", "rice", "butter", "cheese", "tomatoes", "light bulbs",
           "trash bags", "orange juice", "pasta", "yogurt", "cat food", "paper towels", "onions",
           "garlic", "flour", "sugar", "honey", "shampoo", "toothpaste", "sponges", "lemons",
           "call the plumber", "water the plants", "pay the rent", "birthday card", "dog food",
           "ketchup", "cereal", "tea bags", "laundry detergent", "avocados"],
    "zh": ["牛奶", "鸡蛋", "面包", "苹果", "大米", "酱油", "卫生纸", "洗洁精", "香蕉", "咖啡", "黄油",
           "西红柿", "电池", "垃圾袋", "橙汁", "面条", "酸奶", "猫粮", "洋葱", "大蒜", "面粉", "白糖",
           "蜂蜜", "洗发水", "牙膏", "醋", "豆腐", "青菜", "交电费", "给花浇水", "狗粮", "灯泡"],
}

COLORS = {
    "en": ["red", "blue", "green", "purple", "orange", "pink", "yellow", "white", "warm white",
           "cyan", "teal", "magenta", "gold", "lavender", "amber", "turquoise"],
    "zh": ["红色", "蓝色", "绿色", "紫色", "橙色", "粉色", "黄色", "白色", "暖白色", "青色", "金色",
           "天蓝色"],
}

UNKNOWN_DEVICES = {
    "en": ["jacuzzi", "sauna", "hot tub", "dishwasher", "pool pump", "garden lights", "toaster",
           "oven light", "attic light", "porch fan", "wine fridge", "doorbell camera", "heated floor",
           "chimney fan", "fish feeder", "treadmill"],
    "zh": ["按摩浴缸", "桑拿房", "洗碗机", "泳池水泵", "烤面包机", "酒柜", "跑步机", "门铃", "烘干机",
           "喂鱼器", "浴霸", "电饭煲"],
}


MEDIA = {
    "en": ["Finding Nemo", "the Beatles", "some jazz", "Abbey Road", "my workout playlist", "The Office",
           "Taylor Swift", "the news", "Star Wars", "classical music", "Frozen", "a podcast about space"],
    "zh": ["西游记", "周杰伦的歌", "轻音乐", "新闻联播", "流行歌曲", "哪吒", "邓丽君", "相声", "睡前故事",
           "古典音乐", "熊出没", "儿歌"],
}
MESSAGES = {
    "en": ["dinner is ready", "we're leaving in ten minutes", "the movie is starting", "time for bed",
           "someone is at the door", "the laundry is done", "lunch is on the table", "please come downstairs"],
    "zh": ["吃饭了", "十分钟后出门", "电影开始了", "该睡觉了", "有人敲门", "衣服洗好了", "快下楼", "准备出发"],
}

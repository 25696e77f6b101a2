{
	"patcher": {
		"fileversion": 1,
		"appversion": {
			"major": 8,
			"minor": 6,
			"revision": 0,
			"architecture": "x64",
			"modernui": 1
		},
		"classnamespace": "box",
		"rect": [
			60.0,
			80.0,
			1200.0,
			820.0
		],
		"bglocked": 0,
		"openinpresentation": 1,
		"default_fontsize": 12.0,
		"default_fontface": 0,
		"default_fontname": "Arial",
		"gridonopen": 1,
		"gridsize": [
			15.0,
			15.0
		],
		"gridsnaponopen": 1,
		"objectsnaponopen": 1,
		"statusbarvisible": 2,
		"toolbarvisible": 1,
		"boxanimatetime": 200,
		"enablehscroll": 1,
		"enablevscroll": 1,
		"devicewidth": 0.0,
		"description": "",
		"digest": "",
		"tags": "",
		"style": "",
		"subpatcher_template": "",
		"assistshowspatchername": 0,
		"boxes": [
			{
				"box": {
					"maxclass": "comment",
					"text": "bridge: perf stream (live chords)",
					"patching_rect": [
						20,
						10,
						340,
						24
					],
					"fontsize": 16.0,
					"fontface": 1,
					"presentation": 1,
					"presentation_rect": [
						10.0,
						8.0,
						340.0,
						24.0
					],
					"id": "obj-1",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "bridge 57120 7401",
					"patching_rect": [
						450.8333333333333,
						325.0,
						133,
						22.0
					],
					"id": "obj-2",
					"numinlets": 1,
					"numoutlets": 5,
					"outlettype": [
						"",
						"",
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "prepend set",
					"patching_rect": [
						450.8333333333333,
						365.0,
						91,
						22.0
					],
					"id": "obj-3",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "comment",
					"text": "status: waiting for the daemon...",
					"patching_rect": [
						565.375,
						405.0,
						460.0,
						20
					],
					"presentation": 1,
					"presentation_rect": [
						10.0,
						36.0,
						460.0,
						20.0
					],
					"id": "obj-4",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "prepend set",
					"patching_rect": [
						699.8333333333333,
						365.0,
						91,
						22.0
					],
					"id": "obj-5",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "comment",
					"text": "",
					"patching_rect": [
						1041.375,
						405.0,
						460.0,
						34
					],
					"textcolor": [
						0.8,
						0.1,
						0.1,
						1.0
					],
					"presentation": 1,
					"presentation_rect": [
						10.0,
						58.0,
						460.0,
						34.0
					],
					"id": "obj-6",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "toggle",
					"patching_rect": [
						20.0,
						45.0,
						32,
						32
					],
					"parameter_enable": 0,
					"varname": "play",
					"presentation": 1,
					"presentation_rect": [
						10.0,
						100.0,
						32.0,
						32.0
					],
					"id": "obj-7",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "comment",
					"text": "play",
					"patching_rect": [
						56.0,
						45.0,
						42,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						46.0,
						106.0,
						60.0,
						20.0
					],
					"id": "obj-8",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "pak 120. 1. 2. 0",
					"patching_rect": [
						833.0,
						165.0,
						126,
						22.0
					],
					"id": "obj-9",
					"numinlets": 4,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "loadbang",
					"patching_rect": [
						114.0,
						45.0,
						70,
						22.0
					],
					"id": "obj-10",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "flonum",
					"patching_rect": [
						630.0,
						125.0,
						50,
						22
					],
					"parameter_enable": 0,
					"varname": "tempo",
					"minimum": 20.0,
					"maximum": 300.0,
					"format": 6,
					"presentation": 1,
					"presentation_rect": [
						10.0,
						142.0,
						50.0,
						22.0
					],
					"id": "obj-11",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "comment",
					"text": "tempo",
					"patching_rect": [
						684.0,
						125.0,
						49,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						62.0,
						142.0,
						58.0,
						20.0
					],
					"id": "obj-12",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "120.",
					"patching_rect": [
						162.0,
						85.0,
						42,
						22.0
					],
					"id": "obj-13",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "flonum",
					"patching_rect": [
						749.0,
						125.0,
						50,
						22
					],
					"parameter_enable": 0,
					"varname": "temperature",
					"minimum": 0.05,
					"maximum": 4.0,
					"format": 6,
					"presentation": 1,
					"presentation_rect": [
						120.0,
						142.0,
						50.0,
						22.0
					],
					"id": "obj-14",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "comment",
					"text": "temperature",
					"patching_rect": [
						803.0,
						125.0,
						91,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						172.0,
						142.0,
						58.0,
						20.0
					],
					"id": "obj-15",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "1.",
					"patching_rect": [
						220.0,
						85.0,
						32.0,
						22.0
					],
					"id": "obj-16",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "flonum",
					"patching_rect": [
						910.0,
						125.0,
						50,
						22
					],
					"parameter_enable": 0,
					"varname": "density",
					"minimum": 0.25,
					"maximum": 16.0,
					"format": 6,
					"presentation": 1,
					"presentation_rect": [
						230.0,
						142.0,
						50.0,
						22.0
					],
					"id": "obj-17",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "comment",
					"text": "density",
					"patching_rect": [
						964.0,
						125.0,
						63,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						282.0,
						142.0,
						58.0,
						20.0
					],
					"id": "obj-18",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "2.",
					"patching_rect": [
						268.0,
						85.0,
						32.0,
						22.0
					],
					"id": "obj-19",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "number",
					"patching_rect": [
						1043.0,
						125.0,
						50,
						22
					],
					"parameter_enable": 0,
					"varname": "beats",
					"minimum": 0,
					"maximum": 1024,
					"presentation": 1,
					"presentation_rect": [
						340.0,
						142.0,
						50.0,
						22.0
					],
					"id": "obj-20",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "comment",
					"text": "beats",
					"patching_rect": [
						1097.0,
						125.0,
						49,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						392.0,
						142.0,
						58.0,
						20.0
					],
					"id": "obj-21",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "0",
					"patching_rect": [
						316.0,
						85.0,
						32.0,
						22.0
					],
					"id": "obj-22",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "toggle",
					"patching_rect": [
						200.0,
						45.0,
						20,
						20
					],
					"parameter_enable": 0,
					"varname": "aim",
					"presentation": 1,
					"presentation_rect": [
						230.0,
						172.0,
						20.0,
						20.0
					],
					"id": "obj-23",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "comment",
					"text": "aim at the density",
					"patching_rect": [
						224.0,
						45.0,
						140,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						252.0,
						172.0,
						130.0,
						20.0
					],
					"id": "obj-24",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "comment",
					"text": "beats 0: until stopped",
					"patching_rect": [
						368.0,
						45.0,
						168,
						20.0
					],
					"fontsize": 10.0,
					"presentation": 1,
					"presentation_rect": [
						10.0,
						172.0,
						200.0,
						20.0
					],
					"id": "obj-25",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "number",
					"patching_rect": [
						1162.0,
						125.0,
						50,
						22
					],
					"parameter_enable": 0,
					"minimum": 1,
					"maximum": 16,
					"varname": "channel",
					"presentation": 1,
					"presentation_rect": [
						450.0,
						142.0,
						50.0,
						22.0
					],
					"id": "obj-26",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "comment",
					"text": "MIDI channel",
					"patching_rect": [
						1216.0,
						125.0,
						98,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						502.0,
						142.0,
						90.0,
						20.0
					],
					"id": "obj-27",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "1",
					"patching_rect": [
						364.0,
						85.0,
						32.0,
						22.0
					],
					"id": "obj-28",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "zl reg",
					"patching_rect": [
						426.5,
						205.0,
						56,
						22.0
					],
					"id": "obj-29",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "gate",
					"patching_rect": [
						790.125,
						485.0,
						42,
						22.0
					],
					"id": "obj-30",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "zl join",
					"patching_rect": [
						1153.75,
						525.0,
						63,
						22.0
					],
					"id": "obj-31",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "+ 1",
					"patching_rect": [
						463.0,
						85.0,
						35,
						22.0
					],
					"id": "obj-32",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "gate 2 1",
					"patching_rect": [
						808.375,
						565.0,
						70,
						22.0
					],
					"id": "obj-33",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "/bridge/perf/stream/set stream $5 tempo $1 temperature $2",
					"patching_rect": [
						808.375,
						605.0,
						413,
						22.0
					],
					"id": "obj-34",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "/bridge/perf/stream/set stream $5 tempo $1 temperature $2 density $3",
					"patching_rect": [
						1237.375,
						605.0,
						490,
						22.0
					],
					"id": "obj-35",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "sel 1 0",
					"patching_rect": [
						20.0,
						85.0,
						63,
						22.0
					],
					"id": "obj-36",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "+ 1",
					"patching_rect": [
						412.0,
						85.0,
						35,
						22.0
					],
					"id": "obj-37",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "gate 2 1",
					"patching_rect": [
						419.25,
						245.0,
						70,
						22.0
					],
					"id": "obj-38",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "/bridge/perf/stream/start tempo $1 temperature $2 beats $4",
					"patching_rect": [
						419.25,
						285.0,
						420,
						22.0
					],
					"id": "obj-39",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "/bridge/perf/stream/start tempo $1 temperature $2 beats $4 density $3",
					"patching_rect": [
						855.25,
						285.0,
						497,
						22.0
					],
					"id": "obj-40",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "t b b 0",
					"patching_rect": [
						20.0,
						125.0,
						63,
						22.0
					],
					"id": "obj-41",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "i -1",
					"patching_rect": [
						78.0,
						165.0,
						42,
						22.0
					],
					"id": "obj-42",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "/bridge/perf/stream/stop stream $1",
					"patching_rect": [
						78.0,
						205.0,
						252,
						22.0
					],
					"id": "obj-43",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "route /bridge/reply/perf/stream/start",
					"patching_rect": [
						806.8333333333333,
						365.0,
						273,
						22.0
					],
					"id": "obj-44",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "zl mth 1",
					"patching_rect": [
						1517.375,
						405.0,
						70,
						22.0
					],
					"id": "obj-45",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "t 1 i i",
					"patching_rect": [
						1517.375,
						445.0,
						63,
						22.0
					],
					"id": "obj-46",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "unpack 0 0 0. 0.",
					"patching_rect": [
						557.8333333333333,
						365.0,
						126,
						22.0
					],
					"id": "obj-47",
					"numinlets": 1,
					"numoutlets": 4,
					"outlettype": [
						"",
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "makenote 100 500",
					"patching_rect": [
						423.37499999999994,
						405.0,
						126,
						22.0
					],
					"id": "obj-48",
					"numinlets": 3,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "stop",
					"patching_rect": [
						20.0,
						165.0,
						42,
						22.0
					],
					"id": "obj-49",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "toggle",
					"patching_rect": [
						114.0,
						125.0,
						20,
						20
					],
					"parameter_enable": 0,
					"varname": "feed",
					"presentation": 1,
					"presentation_rect": [
						120.0,
						106.0,
						20.0,
						20.0
					],
					"id": "obj-50",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "comment",
					"text": "feed what I play into [midiin] (each phrase, once every key is up)",
					"patching_rect": [
						138.0,
						125.0,
						476,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						144.0,
						106.0,
						380.0,
						20.0
					],
					"id": "obj-51",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "1",
					"patching_rect": [
						114.0,
						85.0,
						32.0,
						22.0
					],
					"id": "obj-52",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "midiin",
					"patching_rect": [
						552.0,
						45.0,
						56,
						22.0
					],
					"id": "obj-53",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "unpack 0.",
					"patching_rect": [
						833.0,
						205.0,
						77,
						22.0
					],
					"id": "obj-54",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "midiparse",
					"patching_rect": [
						552.0,
						85.0,
						77,
						22.0
					],
					"id": "obj-55",
					"numinlets": 1,
					"numoutlets": 8,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "unpack 0 0",
					"patching_rect": [
						1330.0,
						125.0,
						84,
						22.0
					],
					"id": "obj-56",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "> 0",
					"patching_rect": [
						1330.0,
						165.0,
						35,
						22.0
					],
					"id": "obj-57",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "+ 1",
					"patching_rect": [
						1330.0,
						205.0,
						35,
						22.0
					],
					"id": "obj-58",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "gate 2",
					"patching_rect": [
						1330.0,
						245.0,
						56,
						22.0
					],
					"id": "obj-59",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "timer",
					"patching_rect": [
						1543.1041666666667,
						765.0,
						49,
						22.0
					],
					"id": "obj-60",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "/ 60000.",
					"patching_rect": [
						833.0,
						245.0,
						70,
						22.0
					],
					"id": "obj-61",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "* 0.002",
					"patching_rect": [
						1368.25,
						285.0,
						63,
						22.0
					],
					"id": "obj-62",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "+ 0",
					"patching_rect": [
						1743.375,
						605.0,
						35,
						22.0
					],
					"id": "obj-63",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "t i i i",
					"patching_rect": [
						1743.375,
						645.0,
						63,
						22.0
					],
					"id": "obj-64",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "i",
					"patching_rect": [
						1641.8125,
						685.0,
						32.0,
						22.0
					],
					"id": "obj-65",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "sel 0",
					"patching_rect": [
						1641.8125,
						725.0,
						49,
						22.0
					],
					"id": "obj-66",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "coll",
					"patching_rect": [
						1466.3333333333333,
						365.0,
						42,
						22.0
					],
					"id": "obj-67",
					"numinlets": 1,
					"numoutlets": 4,
					"outlettype": [
						"",
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "t i i",
					"patching_rect": [
						1519.8333333333333,
						325.0,
						49,
						22.0
					],
					"id": "obj-68",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "i",
					"patching_rect": [
						1561.6041666666665,
						485.0,
						32.0,
						22.0
					],
					"id": "obj-69",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "t b i i b b",
					"patching_rect": [
						1540.25,
						285.0,
						91,
						22.0
					],
					"id": "obj-70",
					"numinlets": 1,
					"numoutlets": 5,
					"outlettype": [
						"",
						"",
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "pack 0 0. 0",
					"patching_rect": [
						1412.8333333333333,
						325.0,
						91,
						22.0
					],
					"id": "obj-71",
					"numinlets": 3,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "1",
					"patching_rect": [
						1584.8333333333333,
						325.0,
						32.0,
						22.0
					],
					"id": "obj-72",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "t 0 i b 1",
					"patching_rect": [
						1447.25,
						285.0,
						77,
						22.0
					],
					"id": "obj-73",
					"numinlets": 1,
					"numoutlets": 4,
					"outlettype": [
						"",
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "gate",
					"patching_rect": [
						1545.9583333333333,
						685.0,
						42,
						22.0
					],
					"id": "obj-74",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "sel 0",
					"patching_rect": [
						1545.9583333333333,
						725.0,
						49,
						22.0
					],
					"id": "obj-75",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "unpack 0. 0",
					"patching_rect": [
						1603.375,
						405.0,
						91,
						22.0
					],
					"id": "obj-76",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "pack 0 0. 0. 0",
					"patching_rect": [
						1573.09375,
						565.0,
						112,
						22.0
					],
					"id": "obj-77",
					"numinlets": 4,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "t b f f",
					"patching_rect": [
						1603.375,
						445.0,
						63,
						22.0
					],
					"id": "obj-78",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "!- 0.",
					"patching_rect": [
						1485.8125,
						485.0,
						49,
						22.0
					],
					"id": "obj-79",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "maximum 0.01",
					"patching_rect": [
						1485.8125,
						525.0,
						98,
						22.0
					],
					"id": "obj-80",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "t b i i",
					"patching_rect": [
						1599.8125,
						525.0,
						63,
						22.0
					],
					"id": "obj-81",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "remove $1",
					"patching_rect": [
						1701.09375,
						565.0,
						77,
						22.0
					],
					"id": "obj-82",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "-1",
					"patching_rect": [
						1794.09375,
						565.0,
						32.0,
						22.0
					],
					"id": "obj-83",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "zl group 4096 @zlmaxsize 4096",
					"patching_rect": [
						1608.1041666666667,
						765.0,
						217,
						22.0
					],
					"id": "obj-84",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "i -1",
					"patching_rect": [
						1562.7395833333335,
						845.0,
						42,
						22.0
					],
					"id": "obj-85",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "t b l",
					"patching_rect": [
						1608.1041666666667,
						805.0,
						49,
						22.0
					],
					"id": "obj-86",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "prepend notes",
					"patching_rect": [
						1620.7395833333335,
						845.0,
						105,
						22.0
					],
					"id": "obj-87",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "zl join @zlmaxsize 4096",
					"patching_rect": [
						1591.7395833333335,
						925.0,
						175,
						22.0
					],
					"id": "obj-88",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "/bridge/perf/stream/feed stream $1",
					"patching_rect": [
						1562.7395833333335,
						885.0,
						252,
						22.0
					],
					"id": "obj-89",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "gate 1 1",
					"patching_rect": [
						852.8697916666667,
						965.0,
						70,
						22.0
					],
					"id": "obj-90",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "gate",
					"patching_rect": [
						796.748263888889,
						1005.0,
						42,
						22.0
					],
					"id": "obj-91",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "noteout 1",
					"patching_rect": [
						669.5833333333334,
						445.0,
						77,
						22.0
					],
					"id": "obj-92",
					"numinlets": 3,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "comment",
					"text": "double-click [noteout] to pick the MIDI output",
					"patching_rect": [
						750.5833333333334,
						445.0,
						336,
						20.0
					],
					"fontsize": 10.0,
					"id": "obj-93",
					"numinlets": 1,
					"numoutlets": 0
				}
			}
		],
		"lines": [
			{
				"patchline": {
					"source": [
						"obj-2",
						3
					],
					"destination": [
						"obj-3",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-3",
						0
					],
					"destination": [
						"obj-4",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-2",
						2
					],
					"destination": [
						"obj-5",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-5",
						0
					],
					"destination": [
						"obj-6",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-10",
						0
					],
					"destination": [
						"obj-13",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-13",
						0
					],
					"destination": [
						"obj-11",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-11",
						0
					],
					"destination": [
						"obj-9",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-10",
						0
					],
					"destination": [
						"obj-16",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-16",
						0
					],
					"destination": [
						"obj-14",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-14",
						0
					],
					"destination": [
						"obj-9",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-10",
						0
					],
					"destination": [
						"obj-19",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-19",
						0
					],
					"destination": [
						"obj-17",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-17",
						0
					],
					"destination": [
						"obj-9",
						2
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-10",
						0
					],
					"destination": [
						"obj-22",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-22",
						0
					],
					"destination": [
						"obj-20",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-20",
						0
					],
					"destination": [
						"obj-9",
						3
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-10",
						0
					],
					"destination": [
						"obj-28",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-28",
						0
					],
					"destination": [
						"obj-26",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-9",
						0
					],
					"destination": [
						"obj-29",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-9",
						0
					],
					"destination": [
						"obj-30",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-30",
						0
					],
					"destination": [
						"obj-31",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-23",
						0
					],
					"destination": [
						"obj-32",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-32",
						0
					],
					"destination": [
						"obj-33",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-31",
						0
					],
					"destination": [
						"obj-33",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-33",
						0
					],
					"destination": [
						"obj-34",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-34",
						0
					],
					"destination": [
						"obj-2",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-33",
						1
					],
					"destination": [
						"obj-35",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-35",
						0
					],
					"destination": [
						"obj-2",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-7",
						0
					],
					"destination": [
						"obj-36",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-36",
						0
					],
					"destination": [
						"obj-29",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-23",
						0
					],
					"destination": [
						"obj-37",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-37",
						0
					],
					"destination": [
						"obj-38",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-29",
						0
					],
					"destination": [
						"obj-38",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-38",
						0
					],
					"destination": [
						"obj-39",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-39",
						0
					],
					"destination": [
						"obj-2",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-38",
						1
					],
					"destination": [
						"obj-40",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-40",
						0
					],
					"destination": [
						"obj-2",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-36",
						1
					],
					"destination": [
						"obj-41",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-41",
						2
					],
					"destination": [
						"obj-30",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-41",
						1
					],
					"destination": [
						"obj-42",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-42",
						0
					],
					"destination": [
						"obj-43",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-43",
						0
					],
					"destination": [
						"obj-2",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-2",
						0
					],
					"destination": [
						"obj-44",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-44",
						0
					],
					"destination": [
						"obj-45",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-45",
						0
					],
					"destination": [
						"obj-46",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-46",
						2
					],
					"destination": [
						"obj-31",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-46",
						1
					],
					"destination": [
						"obj-42",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-46",
						0
					],
					"destination": [
						"obj-30",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-2",
						1
					],
					"destination": [
						"obj-47",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-47",
						3
					],
					"destination": [
						"obj-48",
						2
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-47",
						1
					],
					"destination": [
						"obj-48",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-47",
						0
					],
					"destination": [
						"obj-48",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-41",
						0
					],
					"destination": [
						"obj-49",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-49",
						0
					],
					"destination": [
						"obj-48",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-10",
						0
					],
					"destination": [
						"obj-52",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-52",
						0
					],
					"destination": [
						"obj-50",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-9",
						0
					],
					"destination": [
						"obj-54",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-53",
						0
					],
					"destination": [
						"obj-55",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-55",
						0
					],
					"destination": [
						"obj-56",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-56",
						1
					],
					"destination": [
						"obj-57",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-57",
						0
					],
					"destination": [
						"obj-58",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-58",
						0
					],
					"destination": [
						"obj-59",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-56",
						0
					],
					"destination": [
						"obj-59",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-54",
						0
					],
					"destination": [
						"obj-61",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-60",
						0
					],
					"destination": [
						"obj-62",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-61",
						0
					],
					"destination": [
						"obj-62",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-63",
						0
					],
					"destination": [
						"obj-64",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-64",
						2
					],
					"destination": [
						"obj-63",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-64",
						1
					],
					"destination": [
						"obj-65",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-65",
						0
					],
					"destination": [
						"obj-66",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-66",
						0
					],
					"destination": [
						"obj-60",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-68",
						0
					],
					"destination": [
						"obj-67",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-68",
						1
					],
					"destination": [
						"obj-69",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-59",
						1
					],
					"destination": [
						"obj-70",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-70",
						4
					],
					"destination": [
						"obj-65",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-70",
						3
					],
					"destination": [
						"obj-60",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-70",
						2
					],
					"destination": [
						"obj-68",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-56",
						1
					],
					"destination": [
						"obj-71",
						2
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-62",
						0
					],
					"destination": [
						"obj-71",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-70",
						1
					],
					"destination": [
						"obj-71",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-71",
						0
					],
					"destination": [
						"obj-67",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-70",
						0
					],
					"destination": [
						"obj-72",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-72",
						0
					],
					"destination": [
						"obj-63",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-59",
						0
					],
					"destination": [
						"obj-73",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-73",
						3
					],
					"destination": [
						"obj-74",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-73",
						2
					],
					"destination": [
						"obj-60",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-73",
						1
					],
					"destination": [
						"obj-68",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-73",
						0
					],
					"destination": [
						"obj-74",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-64",
						0
					],
					"destination": [
						"obj-74",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-74",
						0
					],
					"destination": [
						"obj-75",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-67",
						0
					],
					"destination": [
						"obj-76",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-76",
						1
					],
					"destination": [
						"obj-77",
						3
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-76",
						0
					],
					"destination": [
						"obj-78",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-62",
						0
					],
					"destination": [
						"obj-79",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-78",
						2
					],
					"destination": [
						"obj-79",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-79",
						0
					],
					"destination": [
						"obj-80",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-80",
						0
					],
					"destination": [
						"obj-77",
						2
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-78",
						1
					],
					"destination": [
						"obj-77",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-78",
						0
					],
					"destination": [
						"obj-69",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-69",
						0
					],
					"destination": [
						"obj-81",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-81",
						2
					],
					"destination": [
						"obj-82",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-82",
						0
					],
					"destination": [
						"obj-67",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-81",
						1
					],
					"destination": [
						"obj-77",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-81",
						0
					],
					"destination": [
						"obj-83",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-83",
						0
					],
					"destination": [
						"obj-63",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-77",
						0
					],
					"destination": [
						"obj-84",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-75",
						0
					],
					"destination": [
						"obj-84",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-46",
						1
					],
					"destination": [
						"obj-85",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-84",
						0
					],
					"destination": [
						"obj-86",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-86",
						1
					],
					"destination": [
						"obj-87",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-87",
						0
					],
					"destination": [
						"obj-88",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-86",
						0
					],
					"destination": [
						"obj-85",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-85",
						0
					],
					"destination": [
						"obj-89",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-89",
						0
					],
					"destination": [
						"obj-88",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-50",
						0
					],
					"destination": [
						"obj-90",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-88",
						0
					],
					"destination": [
						"obj-90",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-46",
						0
					],
					"destination": [
						"obj-91",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-41",
						2
					],
					"destination": [
						"obj-91",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-90",
						0
					],
					"destination": [
						"obj-91",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-91",
						0
					],
					"destination": [
						"obj-2",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-48",
						1
					],
					"destination": [
						"obj-92",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-48",
						0
					],
					"destination": [
						"obj-92",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-26",
						0
					],
					"destination": [
						"obj-92",
						2
					]
				}
			}
		],
		"dependency_cache": [],
		"autosave": 0
	}
}

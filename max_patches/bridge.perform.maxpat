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
			1260.0,
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
					"text": "bridge: perform (polyphonic continue)",
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
						959.375,
						365.0,
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
						959.375,
						405.0,
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
						959.375,
						445.0,
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
						1066.375,
						405.0,
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
						1435.375,
						445.0,
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
					"maxclass": "newobj",
					"text": "loadbang",
					"patching_rect": [
						20.0,
						45.0,
						70,
						22.0
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
					"maxclass": "message",
					"text": "48 0. 1. 96 64 0. 1. 96 67 0. 1. 96 72 0. 1. 96 45 1. 1. 80 64 1. 1. 80 69 1. 1. 80 72 1. 1. 80 41 2. 1. 80 65 2. 1. 80 69 2. 1. 80 72 2. 1. 80 43 3. 1. 80 62 3. 1. 80 67 3. 1. 80 71 3. 1. 80",
					"patching_rect": [
						20.0,
						85.0,
						440,
						22.0
					],
					"presentation": 1,
					"presentation_rect": [
						10.0,
						116.0,
						460.0,
						36.0
					],
					"id": "obj-8",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "comment",
					"text": "chords (pitch start dur vel ...): click to use",
					"patching_rect": [
						464.0,
						85.0,
						336,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						10.0,
						96.0,
						300.0,
						20.0
					],
					"id": "obj-9",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "zl reg @zlmaxsize 4096",
					"patching_rect": [
						490.0,
						125.0,
						168,
						22.0
					],
					"id": "obj-10",
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
					"text": "pak 1. 8 2.",
					"patching_rect": [
						963.0,
						165.0,
						91,
						22.0
					],
					"id": "obj-11",
					"numinlets": 3,
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
						816.0,
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
						10.0,
						162.0,
						50.0,
						22.0
					],
					"id": "obj-12",
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
						870.0,
						125.0,
						91,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						62.0,
						162.0,
						58.0,
						20.0
					],
					"id": "obj-13",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "1.",
					"patching_rect": [
						816.0,
						85.0,
						32.0,
						22.0
					],
					"id": "obj-14",
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
						977.0,
						125.0,
						50,
						22
					],
					"parameter_enable": 0,
					"varname": "beats",
					"minimum": 1,
					"maximum": 64,
					"presentation": 1,
					"presentation_rect": [
						120.0,
						162.0,
						50.0,
						22.0
					],
					"id": "obj-15",
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
						1031.0,
						125.0,
						49,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						172.0,
						162.0,
						58.0,
						20.0
					],
					"id": "obj-16",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "8",
					"patching_rect": [
						864.0,
						85.0,
						32.0,
						22.0
					],
					"id": "obj-17",
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
						1096.0,
						125.0,
						50,
						22
					],
					"parameter_enable": 0,
					"varname": "density",
					"minimum": 0.25,
					"maximum": 64.0,
					"format": 6,
					"presentation": 1,
					"presentation_rect": [
						230.0,
						162.0,
						50.0,
						22.0
					],
					"id": "obj-18",
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
						1150.0,
						125.0,
						63,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						282.0,
						162.0,
						58.0,
						20.0
					],
					"id": "obj-19",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "2.",
					"patching_rect": [
						912.0,
						85.0,
						32.0,
						22.0
					],
					"id": "obj-20",
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
						220.0,
						45.0,
						20,
						20
					],
					"parameter_enable": 0,
					"varname": "aim",
					"presentation": 1,
					"presentation_rect": [
						340.0,
						163.0,
						20.0,
						20.0
					],
					"id": "obj-21",
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
						244.0,
						45.0,
						140,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						362.0,
						162.0,
						120.0,
						20.0
					],
					"id": "obj-22",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "zl reg",
					"patching_rect": [
						961.5,
						205.0,
						56,
						22.0
					],
					"id": "obj-23",
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
					"maxclass": "button",
					"patching_rect": [
						106.0,
						45.0,
						24,
						24
					],
					"parameter_enable": 0,
					"varname": "perform",
					"presentation": 1,
					"presentation_rect": [
						10.0,
						196.0,
						24.0,
						24.0
					],
					"id": "obj-24",
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
					"text": "perform!",
					"patching_rect": [
						134.0,
						45.0,
						70,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						38.0,
						198.0,
						120.0,
						20.0
					],
					"id": "obj-25",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "t b b zlclear",
					"patching_rect": [
						960.0,
						85.0,
						105,
						22.0
					],
					"id": "obj-26",
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
					"text": "prepend notes",
					"patching_rect": [
						490.0,
						165.0,
						105,
						22.0
					],
					"id": "obj-27",
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
						959.375,
						325.0,
						175,
						22.0
					],
					"id": "obj-28",
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
						1081.0,
						85.0,
						35,
						22.0
					],
					"id": "obj-29",
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
						1021.25,
						245.0,
						70,
						22.0
					],
					"id": "obj-30",
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
					"text": "/bridge/perf/continue temperature $1 beats $2",
					"patching_rect": [
						1021.25,
						285.0,
						329,
						22.0
					],
					"id": "obj-31",
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
					"text": "/bridge/perf/continue temperature $1 beats $2 density $3",
					"patching_rect": [
						1366.25,
						285.0,
						406,
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
					"maxclass": "flonum",
					"patching_rect": [
						1352.0,
						125.0,
						50,
						22
					],
					"parameter_enable": 0,
					"minimum": 20.0,
					"maximum": 300.0,
					"format": 6,
					"varname": "tempo",
					"presentation": 1,
					"presentation_rect": [
						340.0,
						196.0,
						50.0,
						22.0
					],
					"id": "obj-33",
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
						1406.0,
						125.0,
						49,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						392.0,
						196.0,
						50.0,
						20.0
					],
					"id": "obj-34",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "!/ 60000.",
					"patching_rect": [
						1352.0,
						165.0,
						77,
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
					"maxclass": "message",
					"text": "120.",
					"patching_rect": [
						1197.0,
						85.0,
						42,
						22.0
					],
					"id": "obj-36",
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
					"text": "loadbang",
					"patching_rect": [
						486.0,
						45.0,
						70,
						22.0
					],
					"id": "obj-37",
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
					"text": "route /bridge/reply/perf/continue",
					"patching_rect": [
						1173.375,
						405.0,
						245,
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
					"maxclass": "newobj",
					"text": "zl slice 1 @zlmaxsize 4096",
					"patching_rect": [
						1911.375,
						445.0,
						196,
						22.0
					],
					"id": "obj-39",
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
					"text": "prepend set",
					"patching_rect": [
						2116.375,
						485.0,
						91,
						22.0
					],
					"id": "obj-40",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "",
					"patching_rect": [
						2116.375,
						525.0,
						220,
						22.0
					],
					"id": "obj-41",
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
					"text": "zl iter 4 @zlmaxsize 4096",
					"patching_rect": [
						1911.375,
						485.0,
						189,
						22.0
					],
					"id": "obj-42",
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
					"text": "unpack 0 0. 0. 0",
					"patching_rect": [
						1911.375,
						525.0,
						126,
						22.0
					],
					"id": "obj-43",
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
					"text": "* 500.",
					"patching_rect": [
						1631.6875,
						565.0,
						56,
						22.0
					],
					"id": "obj-44",
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
					"text": "* 500.",
					"patching_rect": [
						1703.6875,
						565.0,
						56,
						22.0
					],
					"id": "obj-45",
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
					"text": "pipe 0 0 0. 0",
					"patching_rect": [
						1677.425,
						605.0,
						105,
						22.0
					],
					"id": "obj-46",
					"numinlets": 4,
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
					"text": "makenote 100 500",
					"patching_rect": [
						1581.56875,
						645.0,
						126,
						22.0
					],
					"id": "obj-47",
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
					"maxclass": "newobj",
					"text": "noteout 1",
					"patching_rect": [
						1581.56875,
						685.0,
						77,
						22.0
					],
					"id": "obj-48",
					"numinlets": 3,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "t b b",
					"patching_rect": [
						1132.0,
						85.0,
						49,
						22.0
					],
					"id": "obj-49",
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
					"maxclass": "message",
					"text": "clear",
					"patching_rect": [
						1229.0,
						125.0,
						49,
						22.0
					],
					"id": "obj-50",
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
					"text": "stop",
					"patching_rect": [
						1294.0,
						125.0,
						42,
						22.0
					],
					"id": "obj-51",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"maxclass": "comment",
					"text": "double-click [noteout] to pick the MIDI output",
					"patching_rect": [
						1662.56875,
						685.0,
						336,
						20.0
					],
					"fontsize": 10.0,
					"id": "obj-52",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "button",
					"patching_rect": [
						400.0,
						45.0,
						24,
						24
					],
					"parameter_enable": 0,
					"varname": "stop",
					"presentation": 1,
					"presentation_rect": [
						160.0,
						196.0,
						24.0,
						24.0
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
					"maxclass": "comment",
					"text": "stop",
					"patching_rect": [
						428.0,
						45.0,
						42,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						188.0,
						198.0,
						120.0,
						20.0
					],
					"id": "obj-54",
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
						"obj-8",
						0
					],
					"destination": [
						"obj-10",
						1
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
						"obj-8",
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
						"obj-12",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-12",
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
						"obj-7",
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
						"obj-15",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-15",
						0
					],
					"destination": [
						"obj-11",
						1
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
						"obj-18",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-18",
						0
					],
					"destination": [
						"obj-11",
						2
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
						"obj-23",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-24",
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
						"obj-26",
						1
					],
					"destination": [
						"obj-10",
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
						"obj-27",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-26",
						2
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
						"obj-27",
						0
					],
					"destination": [
						"obj-28",
						1
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
						"obj-23",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-21",
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
						"obj-29",
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
						"obj-23",
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
						"obj-30",
						1
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
						"obj-31",
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
						"obj-32",
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
						"obj-2",
						0
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
						"obj-35",
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
						"obj-33",
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
						"obj-38",
						0
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
						"obj-41",
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
						"obj-35",
						0
					],
					"destination": [
						"obj-44",
						1
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
						"obj-45",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-43",
						3
					],
					"destination": [
						"obj-46",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-43",
						2
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
						2
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-43",
						1
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
						"obj-46",
						3
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
						"obj-47",
						2
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
						"obj-47",
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
						"obj-47",
						0
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
						"obj-49",
						1
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
						"obj-50",
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
						"obj-49",
						0
					],
					"destination": [
						"obj-51",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-51",
						0
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
						"obj-39",
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
						"obj-53",
						0
					],
					"destination": [
						"obj-49",
						0
					]
				}
			}
		],
		"dependency_cache": [],
		"autosave": 0
	}
}

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
					"text": "bridge: harmonize a melody",
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
						799.25,
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
						799.25,
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
						799.25,
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
						906.25,
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
						1275.25,
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
					"text": "67 0. 1. 90 67 1. 1. 90 71 2. 1. 90 69 3. 1. 90 67 4. 1. 90 66 5. 1. 90 64 6. 2. 90 62 8. 1. 90 64 9. 1. 90 66 10. 1. 90 67 11. 1. 90 69 12. 1. 90 66 13. 1. 90 67 14. 2. 90",
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
					"text": "melody (pitch start dur vel ...): click to use",
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
						442.0,
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
					"maxclass": "flonum",
					"patching_rect": [
						816.0,
						125.0,
						50,
						22
					],
					"parameter_enable": 0,
					"varname": "temperature",
					"minimum": 0.0,
					"maximum": 4.0,
					"format": 6,
					"presentation": 1,
					"presentation_rect": [
						10.0,
						162.0,
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
					"text": "temperature (0: greedy)",
					"patching_rect": [
						870.0,
						125.0,
						175,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						62.0,
						162.0,
						150.0,
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
					"text": "0.",
					"patching_rect": [
						816.0,
						85.0,
						32.0,
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
					"maxclass": "newobj",
					"text": "f 0.",
					"patching_rect": [
						843.0,
						165.0,
						42,
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
					"maxclass": "button",
					"patching_rect": [
						106.0,
						45.0,
						24,
						24
					],
					"parameter_enable": 0,
					"varname": "harmonize",
					"presentation": 1,
					"presentation_rect": [
						220.0,
						160.0,
						24.0,
						24.0
					],
					"id": "obj-15",
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
					"text": "harmonize",
					"patching_rect": [
						134.0,
						45.0,
						77,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						248.0,
						162.0,
						120.0,
						20.0
					],
					"id": "obj-16",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "t b b b zlclear",
					"patching_rect": [
						864.0,
						85.0,
						119,
						22.0
					],
					"id": "obj-17",
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
					"text": "prepend notes",
					"patching_rect": [
						442.0,
						165.0,
						105,
						22.0
					],
					"id": "obj-18",
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
						799.25,
						285.0,
						175,
						22.0
					],
					"id": "obj-19",
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
					"text": "split 0. 0.",
					"patching_rect": [
						843.0,
						205.0,
						91,
						22.0
					],
					"id": "obj-20",
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
					"text": "/bridge/harmony/harmonize",
					"patching_rect": [
						843.0,
						245.0,
						189,
						22.0
					],
					"id": "obj-21",
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
					"text": "/bridge/harmony/harmonize temperature $1",
					"patching_rect": [
						1048.0,
						245.0,
						294,
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
					"maxclass": "newobj",
					"text": "coll voices",
					"patching_rect": [
						1312.75,
						565.0,
						91,
						22.0
					],
					"id": "obj-23",
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
					"maxclass": "message",
					"text": "clear",
					"patching_rect": [
						1061.0,
						125.0,
						49,
						22.0
					],
					"id": "obj-24",
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
						1184.0,
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
						320.0,
						196.0,
						50.0,
						22.0
					],
					"id": "obj-25",
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
						1238.0,
						125.0,
						49,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						372.0,
						196.0,
						50.0,
						20.0
					],
					"id": "obj-26",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "!/ 60000.",
					"patching_rect": [
						1184.0,
						165.0,
						77,
						22.0
					],
					"id": "obj-27",
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
						1064.0,
						85.0,
						42,
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
					"text": "loadbang",
					"patching_rect": [
						355.0,
						45.0,
						70,
						22.0
					],
					"id": "obj-29",
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
					"text": "zl iter 4 @zlmaxsize 4096",
					"patching_rect": [
						1532.0,
						605.0,
						189,
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
					"maxclass": "newobj",
					"text": "unpack 0 0. 0. 0",
					"patching_rect": [
						1532.0,
						645.0,
						126,
						22.0
					],
					"id": "obj-31",
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
						1358.0,
						685.0,
						56,
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
					"text": "* 500.",
					"patching_rect": [
						1430.0,
						685.0,
						56,
						22.0
					],
					"id": "obj-33",
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
						1314.4,
						725.0,
						105,
						22.0
					],
					"id": "obj-34",
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
						1182.0500000000002,
						765.0,
						126,
						22.0
					],
					"id": "obj-35",
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
						1182.0500000000002,
						805.0,
						77,
						22.0
					],
					"id": "obj-36",
					"numinlets": 3,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "t b b",
					"patching_rect": [
						720.0,
						125.0,
						49,
						22.0
					],
					"id": "obj-37",
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
						720.0,
						165.0,
						49,
						22.0
					],
					"id": "obj-38",
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
						785.0,
						165.0,
						42,
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
					"maxclass": "comment",
					"text": "double-click [noteout] to pick the MIDI output",
					"patching_rect": [
						1263.0500000000002,
						805.0,
						336,
						20.0
					],
					"fontsize": 10.0,
					"id": "obj-40",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "route /bridge/reply/harmony/harmonize",
					"patching_rect": [
						1013.25,
						365.0,
						273,
						22.0
					],
					"id": "obj-41",
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
						1751.25,
						405.0,
						196,
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
					"text": "zl slice 2 @zlmaxsize 4096",
					"patching_rect": [
						1751.25,
						445.0,
						196,
						22.0
					],
					"id": "obj-43",
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
					"text": "zl join @zlmaxsize 4096",
					"patching_rect": [
						1751.25,
						525.0,
						175,
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
					"text": "unpack 0 0",
					"patching_rect": [
						1751.25,
						485.0,
						84,
						22.0
					],
					"id": "obj-45",
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
					"maxclass": "button",
					"patching_rect": [
						227.0,
						45.0,
						24,
						24
					],
					"parameter_enable": 0,
					"varname": "play-again",
					"presentation": 1,
					"presentation_rect": [
						10.0,
						196.0,
						24.0,
						24.0
					],
					"id": "obj-46",
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
					"text": "play again",
					"patching_rect": [
						255.0,
						45.0,
						84,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						38.0,
						198.0,
						120.0,
						20.0
					],
					"id": "obj-47",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "t b b",
					"patching_rect": [
						999.0,
						85.0,
						49,
						22.0
					],
					"id": "obj-48",
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
					"text": "dump",
					"patching_rect": [
						1126.0,
						125.0,
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
					"maxclass": "button",
					"patching_rect": [
						441.0,
						45.0,
						24,
						24
					],
					"parameter_enable": 0,
					"varname": "stop",
					"presentation": 1,
					"presentation_rect": [
						140.0,
						196.0,
						24.0,
						24.0
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
					"text": "stop",
					"patching_rect": [
						469.0,
						45.0,
						42,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						168.0,
						198.0,
						120.0,
						20.0
					],
					"id": "obj-51",
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
						"obj-14",
						1
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
						"obj-17",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-17",
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
						"obj-18",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-17",
						3
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
						"obj-18",
						0
					],
					"destination": [
						"obj-19",
						1
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
						"obj-21",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-20",
						1
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
						"obj-21",
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
						"obj-22",
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
						"obj-2",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-17",
						2
					],
					"destination": [
						"obj-24",
						0
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
						"obj-23",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-25",
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
						"obj-29",
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
						"obj-25",
						0
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
						"obj-27",
						0
					],
					"destination": [
						"obj-32",
						1
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
						"obj-33",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-31",
						3
					],
					"destination": [
						"obj-34",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-31",
						2
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
						"obj-33",
						0
					],
					"destination": [
						"obj-34",
						2
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-31",
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
						"obj-32",
						0
					],
					"destination": [
						"obj-34",
						3
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
						"obj-34",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-34",
						2
					],
					"destination": [
						"obj-35",
						2
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-34",
						1
					],
					"destination": [
						"obj-35",
						1
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
						"obj-35",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-35",
						1
					],
					"destination": [
						"obj-36",
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
						"obj-36",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-37",
						1
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
						"obj-34",
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
						"obj-35",
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
						"obj-41",
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
						"obj-42",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-42",
						1
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
						1
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
						"obj-43",
						1
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
						"obj-43",
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
						"obj-23",
						0
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
						"obj-48",
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
						"obj-37",
						0
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
						"obj-23",
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
						"obj-37",
						0
					]
				}
			}
		],
		"dependency_cache": [],
		"autosave": 0
	}
}

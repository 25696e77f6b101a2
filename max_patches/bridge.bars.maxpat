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
			1100.0,
			760.0
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
					"text": "bridge: bars from chords",
					"patching_rect": [
						20,
						10,
						300,
						24
					],
					"fontsize": 16.0,
					"fontface": 1,
					"presentation": 1,
					"presentation_rect": [
						10.0,
						8.0,
						300.0,
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
						347.14285714285717,
						285.0,
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
						347.14285714285717,
						325.0,
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
						347.14285714285717,
						365.0,
						420.0,
						20
					],
					"presentation": 1,
					"presentation_rect": [
						10.0,
						36.0,
						420.0,
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
						454.14285714285717,
						325.0,
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
						783.1428571428571,
						365.0,
						420.0,
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
						420.0,
						34.0
					],
					"id": "obj-6",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "textedit",
					"patching_rect": [
						345.0,
						125.0,
						260,
						24
					],
					"parameter_enable": 0,
					"varname": "chords",
					"keymode": 1,
					"lines": 1,
					"text": "C Am F G",
					"presentation": 1,
					"presentation_rect": [
						10.0,
						116.0,
						260.0,
						24.0
					],
					"id": "obj-7",
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
					"maxclass": "comment",
					"text": "chords (one per bar; type, then Return)",
					"patching_rect": [
						609.0,
						125.0,
						287,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						10.0,
						96.0,
						260.0,
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
					"text": "route text",
					"patching_rect": [
						345.0,
						165.0,
						84,
						22.0
					],
					"id": "obj-9",
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
					"text": "zl reg",
					"patching_rect": [
						347.14285714285717,
						205.0,
						56,
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
					"text": "prepend set",
					"patching_rect": [
						345.0,
						85.0,
						91,
						22.0
					],
					"id": "obj-11",
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
					"text": "C Am F G",
					"patching_rect": [
						141.0,
						45.0,
						120,
						22.0
					],
					"presentation": 1,
					"presentation_rect": [
						290.0,
						96.0,
						120.0,
						22.0
					],
					"id": "obj-12",
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
					"text": "Am F C G",
					"patching_rect": [
						413.0,
						45.0,
						120,
						22.0
					],
					"presentation": 1,
					"presentation_rect": [
						420.0,
						96.0,
						120.0,
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
					"maxclass": "message",
					"text": "Dm G7 C C",
					"patching_rect": [
						277.0,
						45.0,
						120,
						22.0
					],
					"presentation": 1,
					"presentation_rect": [
						290.0,
						122.0,
						120.0,
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
					"maxclass": "message",
					"text": "C G Am Em F C F G",
					"patching_rect": [
						549.0,
						45.0,
						120,
						22.0
					],
					"presentation": 1,
					"presentation_rect": [
						420.0,
						122.0,
						120.0,
						22.0
					],
					"id": "obj-15",
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
						685.0,
						45.0,
						70,
						22.0
					],
					"id": "obj-16",
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
					"text": "C Am F G",
					"patching_rect": [
						685.0,
						85.0,
						70,
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
					"maxclass": "button",
					"patching_rect": [
						20.0,
						45.0,
						24,
						24
					],
					"parameter_enable": 0,
					"varname": "make-bars",
					"presentation": 1,
					"presentation_rect": [
						10.0,
						150.0,
						24.0,
						24.0
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
					"maxclass": "comment",
					"text": "make bars",
					"patching_rect": [
						48.0,
						45.0,
						77,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						38.0,
						152.0,
						120.0,
						20.0
					],
					"id": "obj-19",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "newobj",
					"text": "prepend /bridge/gan/bars chords",
					"patching_rect": [
						347.14285714285717,
						245.0,
						231,
						22.0
					],
					"id": "obj-20",
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
						912.0,
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
						160.0,
						150.0,
						50.0,
						22.0
					],
					"id": "obj-21",
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
						966.0,
						125.0,
						49,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						212.0,
						150.0,
						50.0,
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
					"text": "!/ 60000.",
					"patching_rect": [
						912.0,
						165.0,
						77,
						22.0
					],
					"id": "obj-23",
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
						771.0,
						85.0,
						42,
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
					"maxclass": "newobj",
					"text": "loadbang",
					"patching_rect": [
						771.0,
						45.0,
						70,
						22.0
					],
					"id": "obj-25",
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
					"text": "route /bridge/reply/gan/bars",
					"patching_rect": [
						561.1428571428571,
						325.0,
						210,
						22.0
					],
					"id": "obj-26",
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
						1219.142857142857,
						365.0,
						196,
						22.0
					],
					"id": "obj-27",
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
						1424.142857142857,
						405.0,
						91,
						22.0
					],
					"id": "obj-28",
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
						1424.142857142857,
						445.0,
						220,
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
					"text": "zl iter 4 @zlmaxsize 4096",
					"patching_rect": [
						1219.142857142857,
						405.0,
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
						1219.142857142857,
						445.0,
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
						1065.5714285714284,
						485.0,
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
						1137.5714285714284,
						485.0,
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
						1134.485714285714,
						525.0,
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
						1124.8642857142854,
						565.0,
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
						1124.8642857142854,
						605.0,
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
						857.0,
						85.0,
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
						1031.0,
						125.0,
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
						1096.0,
						125.0,
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
						1205.8642857142854,
						605.0,
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
					"maxclass": "button",
					"patching_rect": [
						857.0,
						45.0,
						24,
						24
					],
					"parameter_enable": 0,
					"varname": "stop",
					"presentation": 1,
					"presentation_rect": [
						260.0,
						150.0,
						24.0,
						24.0
					],
					"id": "obj-41",
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
						885.0,
						45.0,
						42,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						288.0,
						152.0,
						120.0,
						20.0
					],
					"id": "obj-42",
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
						"obj-7",
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
						"obj-9",
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
						"obj-11",
						0
					],
					"destination": [
						"obj-7",
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
						"obj-10",
						1
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
						"obj-13",
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
						"obj-14",
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
						"obj-14",
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
						"obj-15",
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
						"obj-15",
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
						"obj-16",
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
						"obj-10",
						1
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
						"obj-2",
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
						"obj-21",
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
						"obj-26",
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
						"obj-27",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-27",
						1
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
						"obj-29",
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
						"obj-23",
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
						"obj-23",
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
						"obj-27",
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
						"obj-41",
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

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
					"text": "bridge: stream",
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
						150.5,
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
						150.5,
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
						150.5,
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
						399.5,
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
						882.5,
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
					"maxclass": "flonum",
					"patching_rect": [
						114.0,
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
						142.0,
						50.0,
						22.0
					],
					"id": "obj-9",
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
						168.0,
						125.0,
						91,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						62.0,
						142.0,
						80.0,
						20.0
					],
					"id": "obj-10",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "flonum",
					"patching_rect": [
						275.0,
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
						140.0,
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
						329.0,
						125.0,
						49,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						192.0,
						142.0,
						50.0,
						20.0
					],
					"id": "obj-12",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "number",
					"patching_rect": [
						394.0,
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
						240.0,
						142.0,
						50.0,
						22.0
					],
					"id": "obj-13",
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
						448.0,
						125.0,
						98,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						292.0,
						142.0,
						90.0,
						20.0
					],
					"id": "obj-14",
					"numinlets": 1,
					"numoutlets": 0
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
					"maxclass": "message",
					"text": "1.",
					"patching_rect": [
						114.0,
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
					"maxclass": "message",
					"text": "120.",
					"patching_rect": [
						162.0,
						85.0,
						42,
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
					"maxclass": "message",
					"text": "1",
					"patching_rect": [
						220.0,
						85.0,
						32.0,
						22.0
					],
					"id": "obj-18",
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
					"text": "pak 120. 1.",
					"patching_rect": [
						194.5,
						165.0,
						91,
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
					"maxclass": "newobj",
					"text": "zl reg",
					"patching_rect": [
						281.0,
						205.0,
						56,
						22.0
					],
					"id": "obj-20",
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
						511.0,
						445.0,
						42,
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
					"maxclass": "newobj",
					"text": "zl join",
					"patching_rect": [
						914.75,
						485.0,
						63,
						22.0
					],
					"id": "obj-22",
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
					"text": "/bridge/rnn/stream/set stream $3 tempo $1 temperature $2",
					"patching_rect": [
						914.75,
						525.0,
						406,
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
					"maxclass": "newobj",
					"text": "sel 1 0",
					"patching_rect": [
						20.0,
						85.0,
						63,
						22.0
					],
					"id": "obj-24",
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
					"text": "/bridge/rnn/stream/start tempo $1 temperature $2",
					"patching_rect": [
						281.0,
						245.0,
						350,
						22.0
					],
					"id": "obj-25",
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
					"text": "i -1",
					"patching_rect": [
						20.0,
						165.0,
						42,
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
					"text": "/bridge/rnn/stream/stop stream $1",
					"patching_rect": [
						20.0,
						205.0,
						245,
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
					"text": "route /bridge/reply/rnn/stream/start",
					"patching_rect": [
						506.5,
						325.0,
						266,
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
					"text": "zl mth 1",
					"patching_rect": [
						1318.5,
						365.0,
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
					"maxclass": "newobj",
					"text": "t 1 i i",
					"patching_rect": [
						1318.5,
						405.0,
						63,
						22.0
					],
					"id": "obj-31",
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
						257.5,
						325.0,
						126,
						22.0
					],
					"id": "obj-32",
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
						586.5,
						365.0,
						126,
						22.0
					],
					"id": "obj-33",
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
						522.3333333333334,
						405.0,
						77,
						22.0
					],
					"id": "obj-34",
					"numinlets": 3,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "message",
					"text": "stop",
					"patching_rect": [
						78.0,
						165.0,
						42,
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
					"maxclass": "number",
					"patching_rect": [
						728.5,
						365.0,
						50,
						22
					],
					"parameter_enable": 0,
					"presentation": 1,
					"presentation_rect": [
						10.0,
						176.0,
						50.0,
						22.0
					],
					"id": "obj-36",
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
					"text": "last pitch",
					"patching_rect": [
						782.5,
						365.0,
						84,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						62.0,
						176.0,
						80.0,
						20.0
					],
					"id": "obj-37",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"maxclass": "comment",
					"text": "double-click [noteout] to pick the MIDI output",
					"patching_rect": [
						603.3333333333334,
						405.0,
						336,
						20.0
					],
					"fontsize": 10.0,
					"id": "obj-38",
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
						"obj-15",
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
						"obj-9",
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
						"obj-13",
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
						"obj-19",
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
						"obj-19",
						1
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
						"obj-20",
						1
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
						"obj-21",
						1
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
						"obj-25",
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
						"obj-2",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-24",
						1
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
						2
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
						"obj-26",
						1
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
						"obj-2",
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
						"obj-31",
						2
					],
					"destination": [
						"obj-22",
						1
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
						"obj-27",
						1
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
						"obj-21",
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
						"obj-32",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-32",
						3
					],
					"destination": [
						"obj-33",
						2
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-32",
						1
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
						"obj-33",
						1
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
						"obj-13",
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
						"obj-26",
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
						"obj-32",
						0
					],
					"destination": [
						"obj-36",
						0
					]
				}
			}
		],
		"dependency_cache": [],
		"autosave": 0
	}
}

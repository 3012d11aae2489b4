%% Erlang/OTP's ssh application as an interop peer. tooling/interop/src/erlang.ts compiles it with
%% erlc once per process and runs it as `erl -noshell -noinput -pa DIR -run erlsshpeer main MODE CONFIG`:
%%
%%   server CONFIG   ssh:daemon on 127.0.0.1 port 0; prints "INTEROP-READY <port>", then logs one
%%                   line per event on stderr, until stopped.
%%   client CONFIG   ssh:connect, then the actions in order; prints one JSON object and halts.
%%
%% CONFIG is a file of Erlang terms (file:consult) written by erlang.ts.
%%
%% The server's sessions run OS commands: Erlang's default ssh_cli evaluates Erlang expressions,
%% so this module is the daemon's ssh_cli channel itself (an ssh_server_channel). Erlang ports
%% can neither half-close a child's stdin nor read its stderr apart from stdout, so each command
%% runs as `/bin/sh -c CMD <IN 2>ERR` with IN and ERR named pipes: a `cat >IN` port takes the
%% channel's data (its close is the EOF) and a `cat ERR` port gives back the stderr.
-module(erlsshpeer).
-behaviour(ssh_server_channel).
-export([main/1, init/1, handle_msg/2, handle_ssh_msg/2, terminate/2]).

main([Mode, Config]) ->
    %% Log reports go to stderr: stdout is the ready line or the JSON result.
    ok = logger:remove_handler(default),
    ok = logger:add_handler(default, logger_std_h, #{config => #{type => standard_error}}),
    {ok, Terms} = file:consult(Config),
    {ok, _} = application:ensure_all_started(ssh),
    case Mode of
        "server" -> server(Terms);
        "client" -> run_client(Terms)
    end;
main(_) ->
    io:format(standard_error, "usage: erlsshpeer server|client CONFIG~n", []),
    halt(2).

%% Runs the client and halts with its status; a crash is reported and exits 3.
run_client(Terms) ->
    try client(Terms) of
        Status -> erlang:halt(Status, [{flush, true}])
    catch Class:Reason:Stack ->
        io:format(standard_error, "erlsshpeer client crashed: ~p:~p~n~p~n", [Class, Reason, Stack]),
        erlang:halt(3, [{flush, true}])
    end.

opt(Key, Terms, Default) -> proplists:get_value(Key, Terms, Default).

log(Format, Args) -> io:format(standard_error, Format ++ "~n", Args).

%% preferred_algorithms from the config's lists (each side the same), the rest Erlang's defaults.
algorithms(Terms) ->
    Both = fun(L) -> [{client2server, L}, {server2client, L}] end,
    Picked = [{K, V} || {K, V} <- [{kex, opt(kex, Terms, undefined)},
                                   {public_key, opt(public_key, Terms, undefined)},
                                   {cipher, both(opt(cipher, Terms, undefined), Both)},
                                   {mac, both(opt(mac, Terms, undefined), Both)},
                                   {compression, both(opt(compression, Terms, undefined), Both)}],
                        V =/= undefined],
    case Picked of
        [] -> [];
        _ -> [{preferred_algorithms, Picked}]
    end.

both(undefined, _) -> undefined;
both(L, F) -> F(L).

%%% Server

server(Terms) ->
    Password = opt(password, Terms, undefined),
    Root = opt(sftp_root, Terms, "/"),
    PwdFun = fun(User, Pwd, _Peer, State) ->
                     Ok = Password =/= undefined andalso Pwd =:= Password,
                     log("auth password ~s ~s", [User, case Ok of true -> accepted; false -> refused end]),
                     {Ok, State}
             end,
    Methods = case Password of undefined -> "publickey"; _ -> "publickey,password" end,
    Opts = [{system_dir, opt(system_dir, Terms, ".")},
            {user_dir, opt(user_dir, Terms, ".")},
            {auth_methods, Methods},
            {pwdfun, PwdFun},
            {ssh_cli, {?MODULE, [opt(renegotiate_every, Terms, none)]}},
            {subsystems, [ssh_sftpd:subsystem_spec([{root, Root}, {cwd, Root}])]},
            %% tcpip_tunnel_in lets direct-tcpip channels in (ssh -L), tcpip_tunnel_out lets
            %% tcpip-forward listeners out (ssh -R).
            {tcpip_tunnel_in, true},
            {tcpip_tunnel_out, true},
            {connectfun, fun(User, _Peer, Method) -> log("auth ~s ~s accepted", [Method, User]) end},
            {failfun, fun(User, _Peer, Reason) -> log("auth failed ~s ~p", [User, Reason]) end}]
        ++ algorithms(Terms),
    case ssh:daemon({127, 0, 0, 1}, 0, Opts) of
        {ok, Daemon} ->
            {ok, Info} = ssh:daemon_info(Daemon),
            io:format("INTEROP-READY ~b~n", [proplists:get_value(port, Info)]),
            %% Until the harness stops the process by PID (or closes its stdin: see -noinput).
            receive stop -> ok end;
        {error, Reason} ->
            log("ssh:daemon failed: ~p", [Reason]),
            halt(1)
    end.

%% One session channel (ssh_server_channel callbacks).
%% rekey: a key exchange each time another that many bytes of stdin arrived (none: never). Erlang's
%% own rekey_limit counts bytes only once a minute (its REKEY_DATA_TIMOUT), too seldom for a test.
-record(ch, {cm, id, dir, main, input, errport, pending = 2, status, rekey, received = 0}).

init([Rekey]) -> {ok, #ch{rekey = Rekey}}.

handle_msg({ssh_channel_up, Id, CM}, S) ->
    {ok, S#ch{cm = CM, id = Id}};
handle_msg({Port, {data, Data}}, S = #ch{main = Port}) ->
    ssh_connection:send(S#ch.cm, S#ch.id, 0, Data),
    {ok, S};
handle_msg({Port, {data, Data}}, S = #ch{errport = Port}) ->
    ssh_connection:send(S#ch.cm, S#ch.id, 1, Data),
    {ok, S};
handle_msg({Port, {exit_status, Status}}, S = #ch{main = Port}) ->
    done(S#ch{status = Status});
handle_msg({Port, {exit_status, _}}, S = #ch{errport = Port}) ->
    done(S);
handle_msg(_, S) ->
    {ok, S}.

%% Both the command and its stderr reader ended: EOF, exit-status, CLOSE (sshd's order).
done(S = #ch{pending = 2}) ->
    {ok, S#ch{pending = 1}};
done(S = #ch{pending = 1}) when S#ch.status =:= undefined ->
    {ok, S#ch{pending = 0}};
done(S) ->
    #ch{cm = CM, id = Id, status = Status} = S,
    log("exit-status ~b", [Status]),
    ssh_connection:send_eof(CM, Id),
    ssh_connection:exit_status(CM, Id, Status),
    %% CHANNEL_CLOSE, but the channel process lives on until the client's CLOSE ({closed, Id}):
    %% when it stops at once, OTP 25 forgets the channel and a WINDOW_ADJUST the client sent before
    %% it saw our CLOSE then crashes the connection handler ({badmatch,undefined}, "By application").
    ssh_connection:close(CM, Id),
    {ok, S#ch{pending = 0}}.

handle_ssh_msg({ssh_cm, CM, {exec, Id, WantReply, Cmd}}, S) ->
    log("exec ~s", [Cmd]),
    Dir = string:trim(os:cmd("mktemp -d")),
    In = filename:join(Dir, "in"),
    Err = filename:join(Dir, "err"),
    "" = os:cmd("mkfifo '" ++ In ++ "' '" ++ Err ++ "'"),
    Sh = fun(Args) -> open_port({spawn_executable, "/bin/sh"}, [{args, Args}, binary, exit_status, use_stdio]) end,
    Input = Sh(["-c", "exec cat >\"$0\"", In]),
    ErrPort = Sh(["-c", "exec cat \"$0\"", Err]),
    Main = Sh(["-c", "exec </dev/null; /bin/sh -c \"$2\" <\"$0\" 2>\"$1\"", In, Err, Cmd]),
    ssh_connection:reply_request(CM, WantReply, success, Id),
    {ok, S#ch{dir = Dir, main = Main, input = Input, errport = ErrPort}};
handle_ssh_msg({ssh_cm, CM, {data, Id, 0, Data}}, S = #ch{input = Input, rekey = Rekey, received = Before}) ->
    catch port_command(Input, Data),
    ssh_connection:adjust_window(CM, Id, byte_size(Data)),
    After = Before + byte_size(Data),
    case Rekey of
        R when is_integer(R), After div R > Before div R ->
            log("renegotiate after ~b bytes: ~p", [After, catch ssh_connection_handler:renegotiate(CM)]);
        _ -> ok
    end,
    {ok, S#ch{received = After}};
handle_ssh_msg({ssh_cm, _, {eof, _}}, S = #ch{input = Input}) ->
    %% Flushed, then closed: the command reads EOF.
    catch (Input ! {self(), close}),
    {ok, S};
handle_ssh_msg({ssh_cm, CM, {env, Id, WantReply, Name, Value}}, S) ->
    log("env ~s=~s", [Name, Value]),
    ssh_connection:reply_request(CM, WantReply, failure, Id),
    {ok, S};
handle_ssh_msg({ssh_cm, CM, {Request, Id, WantReply, _}}, S) when Request =:= pty; Request =:= shell ->
    log("~s refused", [Request]),
    ssh_connection:reply_request(CM, WantReply, failure, Id),
    {ok, S};
handle_ssh_msg({ssh_cm, CM, {shell, Id, WantReply}}, S) ->
    ssh_connection:reply_request(CM, WantReply, failure, Id),
    {ok, S};
handle_ssh_msg({ssh_cm, _, {closed, Id}}, S) ->
    {stop, Id, S};
handle_ssh_msg(_, S) ->
    {ok, S}.

terminate(_, #ch{dir = Dir}) when is_list(Dir) ->
    os:cmd("rm -rf '" ++ Dir ++ "'"),
    ok;
terminate(_, _) ->
    ok.

%%% Client

client(Terms) ->
    Base = [{user, opt(user, Terms, "tester")},
            {user_dir, opt(user_dir, Terms, ".")},
            {silently_accept_hosts, false},
            {save_accepted_host, false},
            {user_interaction, false},
            {quiet_mode, true},
            {connect_timeout, 15000},
            {auth_methods, opt(auth_methods, Terms, "publickey,password")}]
        ++ [{password, P} || P <- [opt(password, Terms, undefined)], P =/= undefined]
        %% preferred_algorithms' public_key also limits the user key algorithms: those stay
        %% Erlang's defaults unless user_key_algs names them.
        ++ [{pref_public_key_algs, opt(user_key_algs, Terms, proplists:get_value(public_key, ssh:default_algorithms()))}]
        ++ algorithms(Terms),
    case ssh:connect(opt(host, Terms, "127.0.0.1"), opt(port, Terms, 22), Base, 15000) of
        {ok, CM} ->
            Info = ssh:connection_info(CM, [algorithms, server_version]),
            Algs = proplists:get_value(algorithms, Info),
            Actions = [action(CM, A) || A <- opt(actions, Terms, [])],
            Algs2 = proplists:get_value(algorithms, ssh:connection_info(CM, [algorithms])),
            ssh:close(CM),
            emit([{ok, true},
                  {kex, alg(kex, Algs)},
                  {host_key, alg(hkey, Algs)},
                  {cipher_out, alg(encrypt, Algs)},
                  {cipher_in, alg(decrypt, Algs)},
                  {mac_out, alg(send_mac, Algs)},
                  {mac_in, alg(recv_mac, Algs)},
                  {compress, alg(compress, Algs)},
                  {decompress, alg(decompress, Algs)},
                  {kex_after, alg(kex, Algs2)},
                  {server_version, list_to_binary(element(2, proplists:get_value(server_version, Info)))},
                  {actions, Actions}]),
            0;
        {error, Reason} ->
            emit([{ok, false}, {error, iolist_to_binary(io_lib:format("~p", [Reason]))}, {actions, []}]),
            1
    end.

%% connection_info's name of a negotiated algorithm. It reports aes*-gcm@openssh.com (cipher and
%% MAC) by its internal RFC 5647 name, AEAD_AES_*_GCM: given back as the name on the wire.
alg(Key, Algs) ->
    case proplists:get_value(Key, Algs) of
        'AEAD_AES_128_GCM' -> <<"aes128-gcm@openssh.com">>;
        'AEAD_AES_256_GCM' -> <<"aes256-gcm@openssh.com">>;
        Name -> atom_to_binary(Name)
    end.

%% {exec, Cmd, StdinFile | none, StdoutFile, RenegotiateAfterBytes | none}
action(CM, {exec, Cmd, InFile, OutFile, Renegotiate}) ->
    {ok, Ch} = ssh_connection:session_channel(CM, 15000),
    success = ssh_connection:exec(CM, Ch, Cmd, 15000),
    Input = case InFile of none -> <<>>; _ -> {ok, B} = file:read_file(InFile), B end,
    Self = self(),
    spawn_link(fun() -> send_input(CM, Ch, Input, Renegotiate, 0), Self ! {sent, Ch} end),
    {ok, Out} = file:open(OutFile, [write, raw, binary]),
    {Err, Status} = collect(CM, Ch, Out, <<>>, undefined),
    ok = file:close(Out),
    [{stderr, Err}, {exit_status, case Status of undefined -> null; _ -> Status end}];
%% {sftp, Dir, LocalFile}: make_dir Dir, write_file Dir/up.bin, read_file_info, list_dir,
%% read_file (to LocalFile.back), rename to moved.bin, delete, del_dir.
action(CM, {sftp, Dir, Local}) ->
    try
        {ok, Sftp} = step(start_channel, ssh_sftp:start_channel(CM, [{timeout, 15000}])),
        {ok, Data} = file:read_file(Local),
        Up = Dir ++ "/up.bin",
        Moved = Dir ++ "/moved.bin",
        T = 20000,
        ok = step(make_dir, ssh_sftp:make_dir(Sftp, Dir, T)),
        %% Not write_file: OTP 25's ssh_sftp:write (which write_file calls once) sends the whole
        %% buffer as one SSH_FXP_WRITE, and a message over 256 KiB ends OpenSSH's sftp-server (exit
        %% 11) as it ends ours. Written in 64 KiB pieces instead.
        {ok, H} = step(open, ssh_sftp:open(Sftp, Up, [write, creat, trunc, binary], T)),
        ok = step(write, write_pieces(Sftp, H, Data, T)),
        ok = step(close, ssh_sftp:close(Sftp, H, T)),
        {ok, Info} = step(read_file_info, ssh_sftp:read_file_info(Sftp, Up, T)),
        {ok, Names} = step(list_dir, ssh_sftp:list_dir(Sftp, Dir, T)),
        {ok, Back} = step(read_file, ssh_sftp:read_file(Sftp, Up)),
        ok = file:write_file(Local ++ ".back", Back),
        ok = step(rename, ssh_sftp:rename(Sftp, Up, Moved, T)),
        Gone = ssh_sftp:read_file_info(Sftp, Up, T),
        ok = step(delete, ssh_sftp:delete(Sftp, Moved, T)),
        ok = step(del_dir, ssh_sftp:del_dir(Sftp, Dir, T)),
        ok = ssh_sftp:stop_channel(Sftp),
        [{size, element(2, Info)}, {mode, element(8, Info) band 8#7777},
         {names, [list_to_binary(N) || N <- lists:sort(Names)]},
         {renamed, element(1, Gone) =:= error}, {error, null}]
    catch Class:Reason:Stack ->
        [{error, iolist_to_binary(io_lib:format("~p:~p ~p", [Class, Reason, Stack]))}]
    end;
%% {tunnel, Host, Port, InFile, OutFile}: ssh:tcpip_tunnel_to_server on a local port, then a TCP
%% round trip through it (the far end an echo server).
action(CM, {tunnel, Host, Port, InFile, OutFile}) ->
    try
        {ok, Local} = ssh:tcpip_tunnel_to_server(CM, "127.0.0.1", 0, Host, Port, 15000),
        {ok, Data} = file:read_file(InFile),
        {ok, Sock} = gen_tcp:connect({127, 0, 0, 1}, Local, [binary, {active, false}], 15000),
        Self = self(),
        %% No half-close: OTP 25's tunnel closes the channel (and the connection to us) when its
        %% local socket is shut down for writing, dropping what the far end still sends back.
        spawn_link(fun() -> ok = gen_tcp:send(Sock, Data), Self ! sent end),
        Back = read_n(Sock, byte_size(Data), []),
        gen_tcp:close(Sock),
        ok = file:write_file(OutFile, Back),
        [{error, null}]
    catch Class:Reason:Stack ->
        [{error, iolist_to_binary(io_lib:format("~p:~p ~p", [Class, Reason, Stack]))}]
    end.

write_pieces(_, _, <<>>, _) ->
    ok;
write_pieces(Sftp, H, Data, T) ->
    N = min(65536, byte_size(Data)),
    <<Piece:N/binary, Rest/binary>> = Data,
    case ssh_sftp:write(Sftp, H, Piece, T) of
        ok -> write_pieces(Sftp, H, Rest, T);
        Error -> Error
    end.

%% Logs an SFTP step's outcome (an error in full) on stderr, and returns it.
step(Name, Result) ->
    log("sftp ~s: ~P", [Name, Result, 8]),
    Result.

read_n(_, N, Acc) when N =< 0 ->
    iolist_to_binary(Acc);
read_n(Sock, N, Acc) ->
    case gen_tcp:recv(Sock, 0, 20000) of
        {ok, B} -> read_n(Sock, N - byte_size(B), [Acc, B]);
        {error, _} -> iolist_to_binary(Acc)
    end.

%% Sends Input in 64 KiB pieces, then EOF; a key exchange each time another Renegotiate bytes are sent.
send_input(CM, Ch, Input, Renegotiate, Sent) ->
    case Input of
        <<>> ->
            ssh_connection:send_eof(CM, Ch);
        _ ->
            N = min(65536, byte_size(Input)),
            <<Piece:N/binary, Rest/binary>> = Input,
            ok = ssh_connection:send(CM, Ch, Piece, 30000),
            Next = Sent + N,
            case Renegotiate of
                %% Every R bytes. ssh:renegotiate/1 is not exported by OTP 25's ssh (its docs
                %% name none either): the connection handler's own call starts the key exchange.
                R when is_integer(R), Next div R > Sent div R -> ok = ssh_connection_handler:renegotiate(CM);
                _ -> ok
            end,
            send_input(CM, Ch, Rest, Renegotiate, Next)
    end.

collect(CM, Ch, Out, Err, Status) ->
    receive
        {ssh_cm, CM, {data, Ch, 0, D}} ->
            ok = file:write(Out, D),
            ssh_connection:adjust_window(CM, Ch, byte_size(D)),
            collect(CM, Ch, Out, Err, Status);
        {ssh_cm, CM, {data, Ch, 1, D}} ->
            ssh_connection:adjust_window(CM, Ch, byte_size(D)),
            collect(CM, Ch, Out, <<Err/binary, D/binary>>, Status);
        {ssh_cm, CM, {exit_status, Ch, S}} ->
            collect(CM, Ch, Out, Err, S);
        {ssh_cm, CM, {closed, Ch}} ->
            {Err, Status};
        _ ->
            collect(CM, Ch, Out, Err, Status)
    after 30000 ->
        {<<Err/binary, "(timed out)">>, Status}
    end.

%%% A JSON encoder for proplists, lists, binaries (UTF-8 text), integers, booleans and null.

emit(Term) -> file:write(standard_io, iolist_to_binary([json(Term), $\n])).

json(null) -> <<"null">>;
json(true) -> <<"true">>;
json(false) -> <<"false">>;
json(N) when is_integer(N) -> integer_to_binary(N);
json(B) when is_binary(B) -> [$", escape(B), $"];
json(A) when is_atom(A) -> json(atom_to_binary(A));
json([{_, _} | _] = L) -> [${, lists:join($,, [[json(atom_to_binary(K)), $:, json(V)] || {K, V} <- L]), $}];
json(L) when is_list(L) -> [$[, lists:join($,, [json(X) || X <- L]), $]].

escape(B) ->
    [case C of
         $" -> <<"\\\"">>;
         $\\ -> <<"\\\\">>;
         _ when C < 32 -> io_lib:format("\\u~4.16.0b", [C]);
         _ -> <<C>>
     end || <<C>> <= B].
